"""Cline's UI log of a task (`tasks/<id>/ui_messages.json`, and Roo Code's and Kilo Code's), read when it is
uploaded on its own: without `api_conversation_history.json` beside it, it is all that is left of the task (two real
ones were committed so). In a task folder the API history is read and this log skipped (`files.py`).

A JSON array of `{ts, type: "say" | "ask", say | ask, text, partial?}`, as Cline's webview shows the task:

- the task (`say: "task"`, or the first `say: "text"` since Cline 3) and `say: "user_feedback"` (what the person
  typed back, after a result or in answer to a question) are the person's turns;
- `say: "text"` and `say: "completion_result"` are the answer's words, `say: "reasoning"` its thinking;
  `ask: "followup"` and `ask: "plan_mode_respond"` (JSON `{question | response, options}`, or plain text) the answer
  asking or proposing;
- `say: "tool"` / `ask: "tool"` (JSON naming the tool) and `ask: "command"` / `say: "command"` (a shell command) are
  tool calls of the answer, `say: "command_output"` a result;
- Cline's own entries (`api_req_started`, `checkpoint_created`, `ask: "completion_result"` with no text,
  `resume_task`, errors, ...) are not turns, and a streamed entry still marked `partial` is left out.

The file is one conversation, its path the external id, the task the title.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import json_or_text
from ._records import head_records, iter_records
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped

_ASKING = ("followup", "plan_mode_respond")
_NO_TALK = "Cline UI log without a task and an answer"


def _looks(record: dict[str, Any]) -> bool:
    kind = record.get("type")
    return type(record.get("ts")) is int and kind in ("say", "ask") and type(record.get(kind)) is str


class ClineUiImporter:
    name = "cline-ui"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        return bool(records) and _looks(records[0])

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        builder = TurnBuilder()
        tasked = False
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            entry = record.value
            if type(entry) is not dict or entry.get("partial") is True:
                continue
            kind = entry.get("type")
            what = entry.get(kind) if kind in ("say", "ask") else None
            written = entry.get("text")
            text: str = written if type(written) is str else ""
            if kind == "say" and (what == "task" or (what == "text" and not tasked)):
                tasked = True
                builder.user(text)
            elif kind == "say" and what == "user_feedback":
                builder.user(text)
            elif kind == "say" and what in ("text", "completion_result"):
                builder.text(text)
            elif kind == "say" and what == "reasoning":
                builder.thinking(text)
            elif kind == "ask" and what in _ASKING:
                builder.text(_asked(text))
            elif what == "tool":
                called = json_or_text(text)
                name = called.get("tool") if type(called) is dict else None
                builder.block(tool_use(None, name if type(name) is str else "tool", called))
            elif what == "command" and text.strip():
                builder.block(tool_use(None, "execute_command", {"command": text}))
            elif kind == "say" and what == "command_output":
                builder.block(tool_result(None, text))
            elif text.strip() and kind == "say":
                builder.dropped[str(what)[:40]] += 1
        turns = builder.finish(complete=False)
        user = next((turn for turn in turns if turn.role == "user"), None)
        if user is None or not any(turn.role == "assistant" for turn in turns):
            yield Skipped(_NO_TALK)
            return
        yield ParsedConversation(
            external_id=filename,
            turns=turns,
            title=prompt_title(user.text),
            dropped=dict(+builder.dropped),
        )


def _asked(text: str) -> str:
    """A question or a plan the answer ends on: its words, and the options it offers as a list."""
    value = json_or_text(text)
    if type(value) is not dict:
        return text
    words = next((value[key] for key in ("question", "response") if type(value.get(key)) is str), "")
    options = [option for option in value.get("options") or [] if type(option) is str]
    return "\n".join([words, *(f"- {option}" for option in options)]).strip()


importer = ClineUiImporter()
