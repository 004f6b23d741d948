"""OpenAI Codex CLI's terminal (TUI) view copied as text: one conversation per file (the session files Codex writes
are read by `codex`).

The shape comes from real copies of Codex CLI's TUI (thirteenth fetch: 2026 copies, gpt-5.x models) and its history
cells:
- the start box (`╭───╮`, `│ >_ OpenAI Codex (v0.x) │`, `│ model: ... │`, `│ directory: ... │`, `╰───╯`) gives the
  version, model and folder (metadata); the `Tip:` lines under it are not text;
- a prompt starts at a line beginning `\u203a ` (a single angle quote) and runs on to the next marker, its wrapped
  lines indented by two spaces;
- an answer's paragraph is a `• ` bullet, its further lines indented by two spaces; a copy taken in the middle of an
  answer opens with such indented lines and no bullet (with no start box above them): the answer of a prompt the copy
  does not hold; a paragraph indented so under a tool's output, its bullet lost, is the answer's too;
- tool activity is a bullet too: `• Ran <command>` (its wrapped command under `  │`, its output under `  └` and
  four spaces), `• Explored` (the reads and searches under `└`), `• Edited <file> (+45 -41)` (the diff under it),
  `• Waited for background terminal`, `• Called`, `• Updated Plan`: a tool call block and its output's result block;
- `─ Worked for 1m 01s ───` and the rules between answers are not text; nor are `■ {"detail":"Bad Request"}` errors
  (counted as dropped `error`s; a prompt whose request failed, the error right under it, is left out as a `failed
  prompt`), `⚠` warnings, `✔ You approved codex to ...` approvals and notices such as `• Model changed to ...`
  (counted); the input box a copy shows after the last answer (a prompt mark, then a `100% context left` footer) is
  left out as a `prompt box`.
The file's path is the external id, the first prompt the title. Markdown was rendered for the terminal, so backticks
and emphasis are gone from the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from ._json import BOM
from ._records import read_text
from ._turns import TurnBuilder, terminal_conversation, tool_result, tool_use
from .base import ParseResult

_PROMPT = "\u203a "  # a single angle quote
_BULLET = "• "
# The tool activity Codex draws as a bullet of its own (`• Ran git status`, `• Explored`, `• Edited 5 files (+86
# -8)`, `• Waited for background terminal · <command>`).
_TOOL = re.compile(
    r"(Ran|Running|Explored|Exploring|Edited|Added|Deleted|Called|Calling|Searched|Searching|Waited|Waiting|"
    r"Interacted|Updated Plan|Viewed Image)\b[ \t]*(.*)",
    re.DOTALL,
)
# What Codex reports about the session itself as a bullet (`• Model changed to gpt-5.5 high`): not the answer's.
_NOTICE = re.compile(r"Model changed to |Context compacted\b")
# `─ Worked for 1m 01s ────` (a copy may lose the rule: `Worked for 3m 53s · 12:54 PM`) and the plain rules.
_SEPARATOR = re.compile(r"\s*(?:─+\s*)?Worked for \d[^\n]*|\s*─{3,}\s*")
_DROPPED = (("■ ", "error"), ("⚠ ", "warning"), ("✔ You ", "approval"), ("✗ You ", "approval"))
# The footer under the input box (`100% context left · ? for shortcuts`): what the box holds was never sent.
_FOOTER = re.compile(r"\s*(?:\d+% context left|\? for shortcuts)")
_HEAD_PROMPT = re.compile(r"(?m)^\u203a \S")
_HEAD_BULLET = re.compile(r"(?m)^• \S")
_HEAD_SIGN = re.compile(
    r"(?m)^• (?:Ran |Explored|Edited |Waited for |Called |Updated Plan)|^\s*─* ?Worked for \d|>_ OpenAI Codex"
)
_VERSION = re.compile(r">_ OpenAI Codex \(v([\w.-]+)\)")
_FIELD = re.compile(r"│\s*(model|directory):\s+(.*?)\s{2,}")


class CodexTuiImporter:
    name = "codex-tui"

    def sniff(self, head: bytes, filename: str) -> bool:
        text = head.removeprefix(BOM).decode(errors="ignore")
        return bool(_HEAD_PROMPT.search(text) and _HEAD_BULLET.search(text) and _HEAD_SIGN.search(text))

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        builder = TurnBuilder()
        metadata: dict[str, str] = {}
        for kind, head, body in _cells(read_text(stream).splitlines(), builder, metadata):
            if kind == "user":
                builder.user("\n".join([head, *body]).strip())
            elif kind == "text":
                builder.text("\n".join([head, *body]).strip("\n"))
            else:
                _tool(builder, head, body)
        yield terminal_conversation(builder, filename, metadata, "Codex CLI terminal copy")


def _tool(builder: TurnBuilder, head: str, body: list[str]) -> None:
    """A tool bullet's call block and, when it shows one, its output's result block."""
    tool = _TOOL.match(head)
    name, args = (tool[1], tool[2]) if tool else (head, "")
    lines: list[str] = [args] if args else []
    output: list[str] | None = None
    for line in body:
        if line.startswith("  │"):
            lines.append(line[3:].strip())
        elif line.startswith("  └"):
            output = [] if output is None else output
            output.append(line[3:].removeprefix(" ").rstrip())
        elif output is not None or line.startswith("    "):
            output = [] if output is None else output
            output.append(line.removeprefix("    ").rstrip())
        elif line.strip():
            lines.append(line.strip())  # the command wrapped to the terminal's width, copied with no indent
    if name in ("Explored", "Exploring") and output is not None:
        # What it read and searched, listed under the bullet: the calls, not their output.
        lines, output = [*lines, *(line.strip() for line in output if line.strip())], None
    builder.block(tool_use(None, name, {"args": "\n".join(lines)} if lines else {}))
    if output is not None and "\n".join(output).strip():
        builder.block(tool_result(None, "\n".join(output).strip("\n")))


def _cells(
    lines: list[str], builder: TurnBuilder, metadata: dict[str, str]
) -> list[tuple[str, str, list[str]]]:
    """(user, text or tool; the first line's words; the lines under it) in file order; the start box goes to
    `metadata`, what is left out to `builder.dropped`."""
    cells: list[tuple[str, str, list[str]]] = []
    kind: str | None = None
    head = ""
    body: list[str] = []
    boxed = False  # the start box was seen: lines before the first marker are its banner, not an answer
    started = False  # a marker was seen

    def close() -> None:
        nonlocal kind, head, body
        if kind is not None and kind != "dropped":
            while body and not body[-1].strip():
                body.pop()
            cells.append((kind, head, body))
        kind, head, body = None, "", []

    for line in lines:
        if not started and line.startswith(("╭", "│", "╰")):
            boxed = True
            if version := _VERSION.search(line):
                metadata["version"] = version[1]
            if field := _FIELD.search(line + "  "):
                metadata[field[1]] = field[2].strip()
            continue
        if line.startswith(_PROMPT):
            close()
            started, kind, head = True, "user", line[2:].rstrip()
        elif line.startswith(_BULLET):
            close()
            started, words = True, line[2:].rstrip()
            if _NOTICE.match(words):
                builder.dropped["notice"] += 1
            else:
                kind, head = ("tool" if _TOOL.match(words) else "text"), words
        elif _SEPARATOR.fullmatch(line):
            close()
            started = True
        elif dropped := next((name for mark, name in _DROPPED if line.startswith(mark)), None):
            if dropped == "error" and kind == "user":
                # The request failed: the model never read the prompt (the person usually sends it again).
                kind = None
                builder.dropped["failed prompt"] += 1
            close()
            builder.dropped[dropped] += 1
            started, kind = True, "dropped"  # its wrapped lines go with it
        elif kind == "dropped":
            if not line.startswith("  ") or not line.strip():
                kind = None
        elif not line.strip() and kind is None:
            continue
        elif not started:
            # Before any marker: the start box's tips, or an answer whose bullet the copy did not catch.
            if not boxed and not line.lstrip().startswith("Tip:"):
                started, kind, head = True, "text", line.removeprefix("  ").rstrip()
        elif kind == "user" and _FOOTER.match(line):
            # The input box after the last answer, its footer under it: never sent.
            kind = None
            builder.dropped["prompt box"] += 1
        elif kind in ("tool", None) and _stray_paragraph(line):
            # An answer's paragraph under a tool's output, its bullet lost in the copy (a real one streamed so).
            close()
            kind, head = "text", line[2:].rstrip()
        elif kind in ("text", "user"):
            body.append(line.removeprefix("  ").rstrip())
        elif kind == "tool":
            body.append(line.rstrip())
    close()
    return cells


def _stray_paragraph(line: str) -> bool:
    """Whether a line is indented as an answer's words (two spaces), not as a tool's output (`  └`, four spaces)."""
    return line.startswith("  ") and line[2:3] not in (" ", "│", "└", "")


importer = CodexTuiImporter()
