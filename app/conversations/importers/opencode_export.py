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
the answer's text is the run of paragraphs that closes the part (its last paragraph and what leads into it: a line
ending with a colon, a list or code block, a paragraph that speaks to the person rather than of them, but not
reasoning in English before an answer in another script), the paragraphs before it the thinking; the first paragraph is always thinking (with a model that heads its reasoning,
as Gemini does, every `**Heading**` and paragraph pair), and reasoning that runs straight into a tool call is all
thinking unless its last paragraph introduces the call ("... Removing that:"). Another writer's tool stubs
(`_Tool call: read_`) are tool calls without details. A prompt sent again before any
answer (OpenCode shows the first as an empty answer) is one prompt. The session id is the external id, the title
the title, the agents and models metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._fences import closes, opens
from ._json import BOM, BadRecord, json_or_text
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
# A tool call as another writer of the same transcript puts it (`_Tool call: read_`), without its details.
_TOOL_STUB = re.compile(r"_Tool call: ([\w.:-]+)_[ \t]*$")
# A paragraph that is a list, a code block, a table or a heading: part of whatever it follows or leads into.
_BLOCK = re.compile(r"[ \t]*(?:```|~~~|[-*+][ \t]|\d+[.)][ \t]|\||#)")
_MUSING = re.compile(
    r"\b(?:the user|they|them|their|i should|i need to|actually,|wait,|hmm|el usuario|o usuário|l'utilisateur"
    r"|der (?:nutzer|benutzer))\b|用户|ユーザー"
    r"|(?:^|\n)(?:let me (?:think|check|look|see|verify|analy[sz]e|re-?read|consider|figure|plan)|okay\b|ok, so\b"
    r"|so the\b|now i\b|first,? i\b)",
    re.IGNORECASE,
)
_DURATION = re.compile(r" · \d+(?:\.\d+)?m?s$")
# The last letter of the Latin alphabets (U+024F); a paragraph of the answer in another script has at least this share
# of its letters beyond it (the rest: commands, names and errors quoted in English).
_LATIN_END = 0x24F
_FOREIGN = 0.3
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
    """The paragraphs of some lines: split at blank lines outside code blocks."""
    found: list[str] = []
    current: list[str] = []
    fence = ""
    for line in lines:
        if fence:
            current.append(line)
            fence = "" if closes(line, fence) else fence
        elif not line.strip():
            if current:
                found.append("\n".join(current))
                current = []
        else:
            current.append(line)
            fence = opens(line)
    if current:
        found.append("\n".join(current))
    return found


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
        tool = _TOOL.match(line) or _TOOL_STUB.match(line)
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
                arguments = json_or_text(content)
            else:
                output, failed = content, detail.group(1) == "Error"
        builder.block(tool_use(None, name, arguments if arguments is not None else {}))
        if output is not None:
            builder.block(tool_result(None, output, is_error=failed))
    flush()


def _read_thinking(builder: TurnBuilder, body: list[str], at: int, text: list[str]) -> int:
    """The reasoning after `_Thinking:_` up to the next tool call or the message's end, split into the thinking and
    the answer's text (which goes back to `text`); returns where the next part starts."""
    end = at
    while end < len(body) and not _is_tool(body[end]) and body[end].strip() != _THINKING:
        end += 1
    paragraphs = _paragraphs(body[at:end])
    if not paragraphs:
        return end
    start = _answer_start(paragraphs, before_tool=end < len(body) and _is_tool(body[end]))
    builder.thinking("\n\n".join(paragraphs[:start]))
    if start < len(paragraphs):
        text.extend("\n\n".join(paragraphs[start:]).split("\n"))
    return end


def _answer_start(paragraphs: list[str], *, before_tool: bool) -> int:
    """Which paragraph the answer's text starts at. The export marks where the reasoning starts, not where it ends:
    the answer is the run of paragraphs that closes the part (its last paragraph, with what leads into it: a line
    ending with a colon, a list or code block, a paragraph that speaks to the person rather than of them). Before a
    tool call, only a run that introduces the call ("... Removing that:") is text; reasoning that runs straight into
    the call is all thinking. The first paragraph is always thinking, and so is a headed reasoning's every pair."""
    first = 1
    if _BOLD_HEADING.fullmatch(paragraphs[0].strip()):
        # Headed reasoning (Gemini): "**Heading**", its paragraph, and each further such pair.
        first = 2
        while first + 1 < len(paragraphs) and _BOLD_HEADING.fullmatch(paragraphs[first].strip()):
            first += 2
        return min(first, len(paragraphs))
    if len(paragraphs) <= first:
        return len(paragraphs)
    if before_tool and not paragraphs[-1].rstrip().endswith(":"):
        return len(paragraphs)
    start = len(paragraphs) - 1
    while start > first:
        previous, current = paragraphs[start - 1], paragraphs[start]
        if _switches_script(previous, current):
            break
        leads_in = previous.rstrip().endswith(":") or _BLOCK.match(previous) is not None
        # At the message's end the answer runs back to the last paragraph that muses; before a tool call only
        # what leads into its introduction does.
        leads_on = _BLOCK.match(current) is not None or _speaks_to_them(previous)
        if leads_in or leads_on or (not before_tool and _MUSING.search(previous) is None):
            start -= 1
        else:
            break
    return start


def _switches_script(previous: str, current: str) -> bool:
    """Whether the answer's words start at `current`: reasoning in English (no letter outside the Latin alphabets),
    then an answer in the person's script (eleventh fetch: "Let me provide a solution.", then "Ошибка ...")."""
    return (
        _BLOCK.match(previous) is None
        and _foreign_share(previous) == 0
        and _foreign_share(current) >= _FOREIGN
    )


def _foreign_share(paragraph: str) -> float:
    """The share of a paragraph's letters outside the Latin alphabets (Cyrillic, Greek, CJK, ...)."""
    letters = [char for char in paragraph if char.isalpha()]
    if not letters:
        return 0.0
    return sum(ord(char) > _LATIN_END for char in letters) / len(letters)


def _speaks_to_them(paragraph: str) -> bool:
    return _ADDRESS.search(paragraph) is not None and _MUSING.search(paragraph) is None


def _is_tool(line: str) -> bool:
    return _TOOL.match(line) is not None or _TOOL_STUB.match(line) is not None


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
