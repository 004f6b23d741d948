"""Gemini CLI's terminal view copied as text: one conversation per file (the chat recordings Gemini CLI writes are
read by `gemini-cli`).

The shape comes from a real copy of Gemini CLI's terminal (thirteenth fetch: gemini-2.5-pro, 2025) and its UI:
- the banner (the `GEMINI` logo in block characters, `Tips for getting started:` and its numbered tips) comes before
  the first prompt and is not text;
- a prompt is a box at the line's start (`╭───╮`, `│  > what was typed  │`, `╰───╯`), its further lines inside
  the box; a prompt that is one slash command (`/ide install`) is a command block of the next prompt, as in the
  recordings, not the person's words;
- an answer's paragraph starts `✦ `, its further lines indented by two spaces;
- tool calls are boxes indented by one space (` ╭───╮`, ` │ ✓  ReadFile app.py │`, the output under the call's
  line, ` ╰───╯`), several calls to a box: a tool call block (`ReadFile` with `{"args": "app.py"}`) and its output's
  result block (an error when the mark is `✗`);
- notices (an information mark, U+2139) and `✕` errors are left out, counted as dropped `notice`s and `error`s; the
  input box after the last answer (`│ >   Type your message or @path/to/file │`), the `Using: 4 open files` line
  above it and the status bar under it (folder, sandbox, model) are left out, the box counted as a `prompt box`; the
  model is metadata.
The file's path is the external id, the first prompt the title. Markdown was rendered for the terminal, so backticks
and emphasis are gone from the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM
from ._records import read_text
from ._turns import TurnBuilder, terminal_conversation, tool_result, tool_use
from .base import ParseResult

_ANSWER = "✦ "
_PROMPT_BOX, _TOOL_BOX = ("╭─", "╰─"), (" ╭─", " ╰─")
# A call's line in a tool box: its mark (done, failed, running, awaiting approval, pending, cancelled), its name.
_CALL = re.compile(r"([✓✗⊷?o\-x✕])\s+(\S+)[ \t]*(.*)")
_COMMAND = re.compile(r"/([a-z][\w:-]*)(?:[ \t]+(.*))?")
_PLACEHOLDER = "Type your message or @path/to/file"
_DROPPED = (("\u2139", "notice"), ("✕", "error"))  # the information mark, the error cross
_MODEL = re.compile(r"\b(gemini-[\w.-]+) \(\d+% context")
_HEAD_PROMPT = re.compile(r"(?m)^│ +> \S")
_HEAD_ANSWER = re.compile(r"(?m)^✦ \S")
# What only the CLI's screen shows: a tool box, the banner's tips, the input box's placeholder, the status bar. A
# Markdown log the model wrote of a session, with one prompt box pasted in it (thirteenth fetch), is no copy.
_HEAD_SIGN = re.compile(
    r"(?m)^ ╭─|^ │ [✓✗⊷] |^Tips for getting started|Type your message or @path/to/file|\(\d+% context left\)"
)


class GeminiTuiImporter:
    name = "gemini-tui"

    def sniff(self, head: bytes, filename: str) -> bool:
        text = head.removeprefix(BOM).decode(errors="ignore")
        return bool(_HEAD_PROMPT.search(text) and _HEAD_ANSWER.search(text) and _HEAD_SIGN.search(text))

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = read_text(stream).splitlines()
        builder = TurnBuilder()
        metadata: dict[str, str] = {}
        if model := _MODEL.search("\n".join(lines[-8:])):
            metadata["model"] = model[1]
        _read(lines, builder)
        yield terminal_conversation(builder, filename, metadata, "Gemini CLI terminal copy")


def _boxed(line: str) -> str:
    """A box's line without its borders (a copy may cut the right one off)."""
    inner = line.strip().removeprefix("│")
    return inner.rstrip().removesuffix("│").rstrip()


def _box_end(lines: list[str], number: int, bottom: str) -> int:
    """The line after the box opening at `number` (the end of the file when it is not closed)."""
    end = next((at for at in range(number + 1, len(lines)) if lines[at].startswith(bottom)), len(lines) - 1)
    return end + 1


def _read(lines: list[str], builder: TurnBuilder) -> None:
    answer: list[str] | None = None
    started = False  # a prompt or an answer was seen: what comes before is the banner

    def said() -> None:
        nonlocal answer
        if answer is not None:
            builder.text("\n".join(answer).strip("\n"))
        answer = None

    number = 0
    while number < len(lines):
        line = lines[number]
        if line.startswith(_PROMPT_BOX[0]):
            said()
            end = _box_end(lines, number, _PROMPT_BOX[1])
            _prompt([_boxed(inner) for inner in lines[number + 1 : end - 1]], builder)
            started, number = True, end
            continue
        if line.startswith(_TOOL_BOX[0]) and started:
            said()
            end = _box_end(lines, number, _TOOL_BOX[1])
            _calls([_boxed(inner) for inner in lines[number + 1 : end - 1]], builder)
            number = end
            continue
        if line.startswith(_ANSWER):
            said()
            started, answer = True, [line[2:].rstrip()]
        elif dropped := next((name for mark, name in _DROPPED if line.startswith(mark)), None):
            said()
            builder.dropped[dropped] += 1
        elif answer is not None and (line.startswith("  ") or not line.strip()):
            answer.append(line.removeprefix("  ").rstrip())
        else:
            said()  # the banner, the `Using:` line, the status bar
        number += 1
    said()


def _prompt(inner: list[str], builder: TurnBuilder) -> None:
    """A prompt box's lines: the prompt, a slash command or the input box never sent."""
    text = "\n".join(inner).strip()
    if not text.startswith(">"):
        return
    words = "\n".join(line.strip() for line in text[1:].strip().splitlines())
    if words == _PLACEHOLDER or not words:
        builder.dropped["prompt box"] += 1
    elif command := _COMMAND.fullmatch(words):
        builder.user("", blocks=[{"type": "command", "name": f"/{command[1]}", "args": command[2] or ""}])
    else:
        builder.user(words)


def _calls(inner: list[str], builder: TurnBuilder) -> None:
    """A tool box's calls, each its line (` ✓  Shell git status (...)`) and the output under it."""
    calls: list[tuple[str, str, str, list[str]]] = []
    for line in inner:
        call = _CALL.fullmatch(line.strip()) if line.startswith(" ") and not line.startswith("  ") else None
        if call is not None:
            calls.append((call[1], call[2], call[3].strip(), []))
        elif calls:
            calls[-1][3].append(line.rstrip())
    for mark, name, args, output in calls:
        builder.block(tool_use(None, name, {"args": args} if args else {}))
        result = _dedented(output)
        if result:
            builder.block(_result(result, mark))


def _result(text: str, mark: str) -> dict[str, Any]:
    return tool_result(None, text, mark in "✗✕x")


def _dedented(output: list[str]) -> str:
    """A call's output without the box's indent (four spaces)."""
    indent = min((len(line) - len(line.lstrip()) for line in output if line.strip()), default=0)
    return "\n".join(line[indent:] for line in output).strip("\n")


importer = GeminiTuiImporter()
