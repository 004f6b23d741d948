"""Markdown transcripts: one file is one conversation.

Two styles are recognised, outside fenced code blocks only:
- headings naming the speaker: `## User` / `## Assistant`, also with an emoji (`## 👤 User`, `## 🤖 Claude`);
- line prefixes: `User:` / `Human:` then `Assistant:` / `Claude:`, the text running on until the next prefix.
A file with any speaker heading is read by headings only, so a `User:` line inside an answer stays text.
A leading `# Title` is the title, a `System` section the system prompt; `---` lines around sections are
separators, not text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._json import BOM, BadRecord, too_large
from ._records import first_byte
from ._turns import TurnBuilder
from .base import MAX_RECORD_BYTES, FileFormatError, ParseResult, RecordError

_SPEAKERS = {
    "user": "user",
    "human": "user",
    "you": "user",
    "assistant": "assistant",
    "claude": "assistant",
    "chatgpt": "assistant",
    "gpt": "assistant",
    "ai": "assistant",
    "model": "assistant",
    "system": "system",
}
# An optional emoji (or other symbols) before the speaker's name, an optional colon after it.
_HEADING = re.compile(r"#{1,6}[ \t]+(?:[^\w\s]+[ \t]*)?(\w+)[ \t]*:?[ \t]*$")
_PREFIX = re.compile(
    r"(?:\*\*)?(User|Human|Assistant|Claude|ChatGPT|AI|System)(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]*"
)
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")
_SEPARATOR = re.compile(r"[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")

# (line index, role, heading or not, text after the marker)
Marker = tuple[int, str, bool, str]


def _markers(lines: list[str]) -> list[Marker]:
    markers: list[Marker] = []
    fence = ""
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1).startswith(fence) and not line[opening.end() :].strip():
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        heading = _HEADING.match(line)
        if heading:
            role = _SPEAKERS.get(heading.group(1).lower())
            if role:
                markers.append((index, role, True, ""))
            continue
        prefix = _PREFIX.match(line)
        if prefix:
            markers.append((index, _SPEAKERS[prefix.group(1).lower()], False, line[prefix.end() :]))
    if any(heading for _, _, heading, _ in markers):
        return [marker for marker in markers if marker[2]]
    return markers


def _body(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and (not lines[start].strip() or _SEPARATOR.match(lines[start])):
        start += 1
    while end > start and (not lines[end - 1].strip() or _SEPARATOR.match(lines[end - 1])):
        end -= 1
    return "\n".join(lines[start:end])


def _title(lines: list[str], stop: int) -> str | None:
    """The text of a `# Title` line, if it is the first non-blank line before the first speaker."""
    for line in lines[:stop]:
        if not line.strip():
            continue
        if line.startswith("# "):
            return line[2:].strip() or None
        return None
    return None


def read_text(stream: IO[bytes]) -> str:
    """A whole text file (up to the record limit) as UTF-8, or FileFormatError saying why not."""
    data = stream.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        size = len(data)
        while chunk := stream.read(1 << 20):
            size += len(chunk)
        raise FileFormatError(too_large("file", size))
    bom = 3 if data.startswith(BOM) else 0
    try:
        text = data[bom:].decode()
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"not valid UTF-8 at byte {exc.start + bom}") from None
    if not text.strip():
        raise FileFormatError("file is empty")
    return text


class MarkdownImporter:
    name = "markdown"

    def sniff(self, head: bytes, filename: str) -> bool:
        if b"\x00" in head or first_byte(head) in (None, ord("{"), ord("[")):
            return False
        roles = {role for _, role, _, _ in _markers(head.decode(errors="ignore").splitlines())}
        return "user" in roles and "assistant" in roles

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = read_text(stream).splitlines()
        markers = _markers(lines)
        builder = TurnBuilder()
        for number, (index, role, _, rest) in enumerate(markers):
            end = markers[number + 1][0] if number + 1 < len(markers) else len(lines)
            text = _body([rest, *lines[index + 1 : end]])
            if role == "user":
                builder.user(text)
            elif role == "assistant":
                builder.text(text)
            else:
                builder.system(text)
        try:
            yield builder.conversation(filename, title=_title(lines, markers[0][0]) if markers else None)
        except BadRecord as exc:
            yield RecordError(str(exc))


importer = MarkdownImporter()
