"""Claude Managed Agents sessions: the session's event log as the Managed Agents API lists it (`GET
/v1/sessions/{id}/events`), saved as JSON Lines, a JSON array or a page `{"data": [...]}`; also as a harness writes
it, each event under `raw` beside its own fields (`{"role", "kind", "time", "raw": {...}}`, a real eval's log).

Each event is `{id, type, processed_at, ...}`, its type `{domain}.{action}`:
- `user.message` (`content`: text, image and document blocks): the person's words; `user.define_outcome`
  (`description`, the task, and its `rubric`): the task the session was given, a prompt;
- `agent.message` (`content`: text blocks): the answer's words; `agent.thinking`: thinking (its text when the
  event holds one); `agent.tool_use`, `agent.mcp_tool_use`, `agent.custom_tool_use` (`name`, `input`, the event's
  id the call's): tool calls; `agent.tool_result`, `agent.mcp_tool_result` (`tool_use_id`, `content`,
  `is_error`) and `user.custom_tool_result` (`custom_tool_use_id`): their results, within the answer;
- `session.*` and `span.*` events (status, model requests) carry no words; `agent.thread_message_*` are messages
  between the agent's threads (a coordinator and its subagents): counted, not the person's or the answer's.

A `user.message` that only confirms a tool or an interrupt (`user.tool_confirmation`, `user.interrupt`) is no
prompt. The file is one conversation, its name the external id, the first prompt the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO, Any

from ._records import head_records, iter_records
from ._training_rows import has_exchange
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped

_TYPE = re.compile(r"(?:user|agent|session|span)\.[a-z_]+")
_NO_TALK = "Managed Agents session without a prompt and an answer"
_CALLS = ("agent.tool_use", "agent.mcp_tool_use", "agent.custom_tool_use")
_RESULTS = ("agent.tool_result", "agent.mcp_tool_result", "user.custom_tool_result")


def _event(record: Any) -> dict[str, Any] | None:
    """The API's event in a record: the record itself, or what a harness wrapped under `raw`."""
    if type(record) is not dict:
        return None
    raw = record.get("raw")
    event = raw if type(raw) is dict and "type" in raw else record
    kind = event.get("type")
    # `processed_at` tells them from other `{domain}.{action}` events (GitHub Copilot CLI's `session.start`).
    known = (
        type(kind) is str and _TYPE.fullmatch(kind) is not None and "id" in event and "processed_at" in event
    )
    return event if known else None


class ManagedAgentsImporter:
    name = "managed-agents"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        if records and type(records[0]) is dict and type(records[0].get("data")) is list:
            records = records[0]["data"][:1]
        return bool(records) and _event(records[0]) is not None

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        builder = TurnBuilder()
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            value = record.value
            items = value["data"] if type(value) is dict and type(value.get("data")) is list else [value]
            for item in items:
                event = _event(item)
                if event is None:
                    where = record.json_path if record.line is None else None
                    yield RecordError(
                        "expected a session event ({id, type: user.* or agent.*, processed_at})",
                        record.line,
                        where,
                    )
                    continue
                _add(builder, event)
        turns = builder.finish(complete=False)
        if not has_exchange(turns):
            yield Skipped(_NO_TALK)
            return
        first = next(turn.text for turn in turns if turn.role == "user")
        stem = PurePosixPath(filename.replace("\\", "/")).stem
        yield builder.conversation(stem, title=prompt_title(first))


def _add(builder: TurnBuilder, event: dict[str, Any]) -> None:
    kind = event["type"]
    if kind == "user.message":
        builder.user(flatten(event.get("content"), builder.dropped))
    elif kind == "user.define_outcome":
        builder.user(flatten(event.get("description")))
    elif kind == "agent.message":
        builder.text(flatten(event.get("content")))
    elif kind == "agent.thinking":
        builder.thinking(flatten(event.get("content", event.get("thinking"))))
    elif kind in _CALLS:
        name = event.get("name")
        builder.block(tool_use(event.get("id"), name if type(name) is str else "tool", event.get("input")))
    elif kind in _RESULTS:
        called = event.get("tool_use_id", event.get("mcp_tool_use_id", event.get("custom_tool_use_id")))
        builder.block(
            tool_result(called, flatten(event.get("content")), is_error=event.get("is_error") is True)
        )
    elif kind.startswith("agent.thread_message"):
        builder.dropped["message between threads"] += 1


importer = ManagedAgentsImporter()
