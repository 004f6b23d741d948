"""Cline's "Export task" Markdown (`cline_task_mar-4-2026_2-17-09-pm.md`), and Roo Code's, Kilo Code's and IBM
Bob's, which kept it (`roo_task_...`, `kilo_code_task_...`, `bob_task_...`): the task's messages as the model was
sent them, each opened by a line `**User:**` or `**Assistant:**`, separated by `---` lines.

The messages are read as the task folder's `api_conversation_history.json` is (`cline`): the first message's
`<task>`, later `<feedback>` and `<answer>` are what the person typed; `[read_file for 'x'] Result:` messages, tool
calls written as XML (`<read_file><path>...</path></read_file>`) and `<environment_details>` are the agent's work,
not turns, so a task of forty tool steps is the person's prompts and the answers between them. What the export
adds is read too: Roo Code's newer blocks, `[Reasoning]` (thinking), `[Tool Use: read_file]` with its
`Key: value` arguments (a tool call) and a user message opening with `[Tool]` or `[<tool name>]` (its result;
`(Error)` after it marks a failure); `[Unexpected content type]`, the export's line for a thinking block it could
not write, is left out and counted as dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM
from ._records import first_byte, read_text
from .base import ParsedConversation, ParseResult, RecordError
from .cline import TaskHistory

_SPEAKER = re.compile(r"\*\*(User|Assistant):\*\*[ \t]*$")
_FILE_NAME = re.compile(r"(?:cline|roo|kilo_code|bob)_task_[a-z]{3}-\d{1,2}-\d{4}_[\d-]+-[ap]m\.md$")
_UNEXPECTED = re.compile(r"^\[Unexpected content type(?:: [\w-]+)?\][ \t]*\n?", re.MULTILINE)
# Roo Code's blocks: `[Reasoning]`, `[Tool Use: name]` in an answer; `[Tool]` / `[name]` opening a result.
_BLOCK = re.compile(r"^\[(Reasoning|Tool Use: ([\w-]+))\][ \t]*$", re.MULTILINE)
_TOOL_RESULT = re.compile(r"\[(Tool|[a-z][\w-]*)\]( \(Error\))?[ \t]*\n")
_ARGUMENT = re.compile(r"^([A-Z][A-Za-z]*(?: [A-Za-z]+)?): ?", re.MULTILINE)


def is_export(head: bytes) -> bool:
    """Whether a file's first bytes are an exported task: `**User:**`, then the task's `<task>` wrapper; or an
    export cut from a longer one (`_cut_export`)."""
    if first_byte(head) != ord("*"):
        return _cut_export(head)
    start = head.removeprefix(BOM).lstrip()
    return start.startswith(b"**User:**") and b"<task>" in start[:2000]


# An export cut from a longer one (a file people committed, ninth fetch): it opens with the end of a user message,
# which the harness always closes with its `<environment_details>`, then the export's `---` and a speaker. Or with
# the end of an answer, which Cline always closes with a tool call (thirteenth fetch: the tail of an
# `<attempt_completion>` whose design document held `---` rules and `User:` / `AI:` sample lines).
_CUT_OPENING = re.compile(
    rb"\A(?:(?!\n---[ \t]*\r?\n\s*\*\*(?:User|Assistant):\*\*).)*?"
    rb"</(?:environment_details|attempt_completion|ask_followup_question|plan_mode_respond|write_to_file"
    rb"|replace_in_file|execute_command|use_mcp_tool|read_file)>\s*\n---[ \t]*\r?\n\s*\*\*(?:User|Assistant):\*\*",
    re.DOTALL,
)


def _cut_export(head: bytes) -> bool:
    start = head.removeprefix(BOM)
    if start.lstrip().startswith((b"**User:**", b"**Assistant:**")):
        return False  # a whole export opens with its first speaker
    return _CUT_OPENING.match(start[:65536]) is not None


def _tool_of(filename: str) -> str | None:
    name = filename.rsplit("/", 1)[-1]
    for prefix, tool in (
        ("cline_", "cline"),
        ("roo_", "roo-code"),
        ("kilo_code_", "kilo-code"),
        ("bob_", "bob"),
    ):
        if name.startswith(prefix):
            return tool
    return None


class ClineExportImporter:
    name = "cline-export"

    def sniff(self, head: bytes, filename: str) -> bool:
        return is_export(head) or (
            _FILE_NAME.search(filename) is not None
            and head.removeprefix(BOM).lstrip().startswith(b"**User:**")
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        lines = read_text(stream).removeprefix(BOM.decode()).split("\n")
        messages: list[tuple[str, list[str]]] = []
        previous = "---"  # the last line that is not blank
        cut = _cut_export("\n".join(lines[:2000]).encode())
        for number, line in enumerate(lines, 1):
            speaker = _SPEAKER.match(line)
            # A speaker line opens a message at the file's start or after the export's `---` separator.
            if speaker is not None and previous.strip() == "---":
                messages.append((speaker.group(1).lower(), []))
            elif messages:
                messages[-1][1].append(line)
            elif line.strip() and not cut:
                yield RecordError("expected the export to open with `**User:**`", line=number)
                return
            if line.strip():
                previous = line
        task = TaskHistory(_tool_of(filename))
        if cut:
            # The end of a message whose start the file does not hold: no turn of its own.
            task.builder.dropped["message cut by the copy"] += 1
        calls: list[str] = []  # ids given to the tool calls of the answer before the current message
        for role, body in messages:
            text = "\n".join(_without_separator(body)).strip("\n")
            text, unexpected = _UNEXPECTED.subn("", text)
            task.builder.dropped["thinking"] += unexpected
            if role == "assistant":
                content, calls = _answer(text, len(task.builder.turns))
                task.add({"role": "assistant", "content": content})
            else:
                task.add({"role": "user", "content": _user(text, calls)})
        result = task.result(filename)
        if not isinstance(result, ParsedConversation):
            yield RecordError("no prompt with an answer in the exported task")
            return
        result.metadata.setdefault("tool", "cline")
        result.metadata["exporter"] = "export-task"
        yield result


def _without_separator(body: list[str]) -> list[str]:
    """A message's lines without the `---` line that separates it from the next."""
    end = len(body)
    while end and not body[end - 1].strip():
        end -= 1
    if end and body[end - 1].strip() == "---":
        end -= 1
    return body[:end]


def _answer(text: str, turn: int) -> tuple[list[dict[str, Any]], list[str]]:
    """An answer's blocks: its text (where Cline's XML tool calls are read), Roo's `[Reasoning]` as thinking and
    `[Tool Use: name]` as tool calls with their `Key: value` arguments; and the ids given to those calls."""
    blocks: list[dict[str, Any]] = []
    calls: list[str] = []
    marks = list(_BLOCK.finditer(text))
    if not marks:
        return [{"type": "text", "text": text}], calls
    if text[: marks[0].start()].strip():
        blocks.append({"type": "text", "text": text[: marks[0].start()]})
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        body = text[mark.end() : end].strip("\n")
        if mark.group(2) is None:
            blocks.append({"type": "thinking", "thinking": body})
            continue
        call_id = f"export-{turn}-{index}"
        calls.append(call_id)
        blocks.append({"type": "tool_use", "id": call_id, "name": mark.group(2), "input": _arguments(body)})
    return blocks, calls


def _arguments(body: str) -> dict[str, Any]:
    """`Command: npm test` / `Cwd: /repo` lines as {"command": ..., "cwd": ...}; a value runs to the next key."""
    keys = list(_ARGUMENT.finditer(body))
    if not keys or keys[0].start() != 0:
        return {"input": body} if body.strip() else {}
    arguments: dict[str, Any] = {}
    for index, key in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(body)
        arguments[key.group(1).lower().replace(" ", "_")] = body[key.end() : end].strip("\n")
    return arguments


def _user(text: str, calls: list[str]) -> list[dict[str, Any]]:
    """A user message's blocks: Roo's `[Tool]` result as a tool result of the answer's last call, the rest text."""
    result = _TOOL_RESULT.match(text)
    if result is None or not calls:
        return [{"type": "text", "text": text}]
    return [
        {
            "type": "tool_result",
            "tool_use_id": calls[-1],
            "content": text[result.end() :],
            "is_error": result.group(2) is not None,
        }
    ]


importer = ClineExportImporter()
