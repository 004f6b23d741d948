"""OpenCode's `/export` transcript (Markdown, one session per file), as its TUI writes it (`formatTranscript` in
`cli/cmd/tui/util/transcript.ts`; the shape checked against sessions people committed):

    # <session title>

    **Session ID:** ses_...
    **Created:** <local time>
    **Updated:** <local time>

    ---

    ## User

    <the prompt>

    ---

    ## Assistant (Build · claude-sonnet-4 · 5.4s)

    _Thinking:_

    <reasoning>

    <text>

    **Tool: bash**

    **Input:**
    ```json
    {"command": "ls"}
    ```

    **Output:**
    ```
    <output>
    ```

    ---

Each message is a `## User` or `## Assistant` header (the agent, model and duration in brackets when the export
kept them) and its parts, and ends with a `---` line. An assistant message is one step of the answer: consecutive
ones are one answer turn. Its `**Tool: NAME**` part is a tool call with its `**Input:**` (JSON) and its
`**Output:**` (or `**Error:**`, a failed call) as the result; a message of tool calls without their details (the
export's "tool details" off) is the calls alone. `_Thinking:_` opens the reasoning, which the export does not close:
its first paragraph is the thinking (with a model that heads its reasoning, as Gemini does, `**Heading**` and the
paragraph under it, each such pair), and so is each next paragraph that speaks of the person rather than to them
("The user ...", "I should ask them ...", no "you"); the paragraphs from the first that does not are the answer's
text. A prompt sent again before any
answer (OpenCode shows the first as an empty answer) is one prompt. The session id is the external id, the title
the title, the agents and models metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._json import BOM, BadRecord
from ._records import read_text
from ._turns import TurnBuilder, tool_result, tool_use
from .base import ParseResult, RecordError

_SESSION = re.compile(r"^\*\*Session ID:\*\* (ses_\w+)[ \t]*$", re.MULTILINE)
_TITLE = re.compile(r"\A# (.+)$", re.MULTILINE)
_HEADER = re.compile(r"## (User|Assistant)(?: \((.*)\))?[ \t]*$")
_TOOL = re.compile(r"\*\*Tool: (.+?)\*\*[ \t]*$")
_DETAIL = re.compile(r"\*\*(Input|Output|Error):\*\*[ \t]*$")
_THINKING = "_Thinking:_"
_BOLD_HEADING = re.compile(r"\*\*[^*\n]+\*\*[ \t]*$")
_MUSING = re.compile(
    r"\b(?:the user|they|them|their|i should|i need to|actually,|wait,|hmm)\b",
    re.IGNORECASE,
)
_DURATION = re.compile(r" · \d+(?:\.\d+)?m?s$")
_ADDRESS = re.compile(r"\byou(?:r|rs|'re|'ll|'ve|'d)?\b", re.IGNORECASE)


def is_export(head: bytes) -> bool:
    """A title line, then the `**Session ID:** ses_...` line among the first lines."""
    text = head.removeprefix(BOM)[:1000].decode(errors="ignore")
    return (
        text.startswith("# ")
        and _SESSION.search(text) is not None
        and "\n## " in head.decode(errors="ignore")
    )


def _messages(lines: list[str]) -> list[tuple[str, str, list[str]]]:
    """(role, what the header says in brackets, body lines) of each message: a header after a `---` line and a
    blank line (the export writes `---` after every message), so a `## User` inside a message's text opens none."""
    found: list[tuple[str, str, list[str]]] = []
    current: list[str] | None = None
    for number, line in enumerate(lines):
        header = _HEADER.match(line)
        if header is not None and _after_rule(lines, number):
            if current is not None:
                _trim(current)
            current = []
            found.append((header.group(1), header.group(2) or "", current))
        elif current is not None:
            current.append(line)
    if current is not None:
        _trim(current)
    return found


def _after_rule(lines: list[str], number: int) -> bool:
    at = number - 1
    while at >= 0 and not lines[at].strip():
        at -= 1
    return at >= 0 and lines[at].strip() == "---"


def _trim(body: list[str]) -> None:
    """The message's lines without the `---` that closes it and the blank lines around it."""
    while body and not body[-1].strip():
        body.pop()
    if body and body[-1].strip() == "---":
        body.pop()
    while body and not body[-1].strip():
        body.pop()


def _fenced(lines: list[str], at: int) -> tuple[str | None, int]:
    """The content of the fence opening at line `at` (after blank lines), and the line after its close."""
    while at < len(lines) and not lines[at].strip():
        at += 1
    if at >= len(lines) or not lines[at].startswith("```"):
        return None, at
    end = at + 1
    while end < len(lines) and lines[end].rstrip() != "```":
        end += 1
    return "\n".join(lines[at + 1 : end]), end + 1


def _paragraphs(lines: list[str]) -> list[str]:
    text = "\n".join(lines).strip("\n")
    return [part for part in re.split(r"\n[ \t]*\n", text) if part.strip()] if text.strip() else []


def _add_assistant(builder: TurnBuilder, body: list[str]) -> None:
    """An assistant message's parts in order: text, thinking and tool calls with their details."""
    text: list[str] = []
    at = 0

    def flush() -> None:
        if text:
            builder.text("\n".join(text).strip("\n"))
            text.clear()

    while at < len(body):
        line = body[at]
        tool = _TOOL.match(line)
        if line.strip() == _THINKING:
            flush()
            at = _read_thinking(builder, body, at + 1, text)
            continue
        if tool is None:
            text.append(line)
            at += 1
            continue
        flush()
        name, arguments, output, failed = tool.group(1).strip(), None, None, False
        at += 1
        while True:
            probe = at
            while probe < len(body) and not body[probe].strip():
                probe += 1
            detail = _DETAIL.match(body[probe]) if probe < len(body) else None
            if detail is None:
                break
            content, at = _fenced(body, probe + 1)
            if content is None:
                at = probe + 1
                break
            if detail.group(1) == "Input":
                arguments = _json(content)
            else:
                output, failed = content, detail.group(1) == "Error"
        builder.block(tool_use(None, name, arguments if arguments is not None else {}))
        if output is not None:
            builder.block(tool_result(None, output, is_error=failed))
    flush()


def _read_thinking(builder: TurnBuilder, body: list[str], at: int, text: list[str]) -> int:
    """The reasoning after `_Thinking:_` up to the next tool call or the message's end: its first paragraph (or
    its headed sections) is the thinking, the rest goes back to `text`. Returns where the next part starts."""
    end = at
    while end < len(body) and not _TOOL.match(body[end]) and body[end].strip() != _THINKING:
        end += 1
    paragraphs = _paragraphs(body[at:end])
    if not paragraphs:
        return end
    taken = 1
    if _BOLD_HEADING.fullmatch(paragraphs[0].strip()):
        # Headed reasoning (Gemini): "**Heading**", its paragraph, and each further such pair.
        taken = 2
        while taken + 1 < len(paragraphs) and _BOLD_HEADING.fullmatch(paragraphs[taken].strip()):
            taken += 2
    # Reasoning speaks of the person ("The user is asking ...", "I should ask them ..."); the answer speaks to them.
    while (
        taken < len(paragraphs)
        and _MUSING.search(paragraphs[taken]) is not None
        and _ADDRESS.search(paragraphs[taken]) is None
    ):
        taken += 1
    builder.thinking("\n\n".join(paragraphs[:taken]))
    rest = paragraphs[taken:]
    if rest:
        text.extend("\n\n".join(rest).split("\n"))
    return end


def _json(content: str) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content


class OpenCodeExportImporter:
    name = "opencode-export"

    def sniff(self, head: bytes, filename: str) -> bool:
        return is_export(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream)
        lines = text.splitlines()
        builder = TurnBuilder()
        agents: list[str] = []
        for role, about, body in _messages(lines):
            if role == "User":
                builder.user("\n".join(body).strip("\n"))
                continue
            about = _DURATION.sub("", about)
            if about and about not in agents:
                agents.append(about)
            _add_assistant(builder, body)
        session = _SESSION.search(text[:2000])
        title = _TITLE.search(text)
        metadata: dict[str, Any] = {"tool": "opencode"}
        if agents:
            metadata["agents"] = agents
        try:
            conversation = builder.conversation(
                session.group(1) if session else filename.replace("\\", "/"),
                title=title.group(1).strip() if title else None,
                metadata=metadata,
            )
        except BadRecord as exc:
            yield RecordError(f"OpenCode export: {exc}")
            return
        yield conversation


importer = OpenCodeExportImporter()
