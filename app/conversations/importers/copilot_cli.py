"""GitHub Copilot CLI sessions (`~/.copilot/session-state/<session id>/events.jsonl`, earlier
`session-state/<session id>.jsonl`): one event a line, `{type, data, id, timestamp, parentId}`.

`session.start` names the session (`sessionId`, `copilotVersion`, `context.cwd`, `context.branch`);
`user.message` is what was typed (`content`; `transformedContent` is what the CLI sent, with its own context
added, and is not read); `assistant.message` an answer (`content`) with its `toolRequests` (`toolCallId`, `name`,
`arguments`); `tool.execution_complete` a tool's result (`result.content`, `success`). Turn, model and other
events carry no text. The file is one conversation, its session id the external id, the first prompt the title.
VS Code's agent writes these events too, a subagent's among them: between a `runSubagent` call's
`tool.execution_start` and its `tool.execution_complete` come the subagent's own prompt (a `user.message` nobody
typed), messages and tool runs; they are left out (counted), the call's result (the subagent's report) kept.

The first versions (autumn 2025) kept a session as one object in `~/.copilot/history-session-state/session_<id>_<ms>
.json`: `{sessionId, startTime, chatMessages, timeline, selectedModel}`, `chatMessages` the chat's messages as
OpenAI's API takes them (read by the `openai` reader's rules) and `timeline` the CLI's notices; a session whose
`chatMessages` is empty (the CLI opened, a model picked, nothing asked) is skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath
from typing import IO, Any

from ._json import BadRecord
from ._records import as_object, head_records, iter_records, object_lines, peekable
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped
from .openai import read_messages

_EVENTS = (
    "session.start",
    "user.message",
    "assistant.message",
    "assistant.turn_start",
    "session.model_change",
)
_NO_TALK = "Copilot CLI session without a prompt and an answer"


def _is_subagent(name: Any) -> bool:
    return type(name) is str and ("subagent" in name.lower() or name.lower() == "task")


def _looks(record: dict[str, Any]) -> bool:
    return record.get("type") in _EVENTS and type(record.get("data")) is dict and "parentId" in record


class CopilotCliImporter:
    name = "copilot-cli"

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        return bool(records) and (_looks(records[0]) or _is_history(records[0]))

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        records = head_records(buffered.peek(65536))
        if records and _is_history(records[0]):
            yield from _history(buffered, filename)
            return
        stream = buffered
        builder = TurnBuilder()
        metadata: dict[str, Any] = {}
        session_id = None
        # Subagent calls running (VS Code's agent writes a subagent's own prompt, messages and tools as events of the
        # session until its call completes): their tool call ids.
        running: set[str] = set()
        for entry in object_lines(stream):
            if isinstance(entry, RecordError):
                yield entry
                continue
            _, record = entry
            kind, data = record.get("type"), as_object(record.get("data"))
            if running and kind in ("user.message", "assistant.message", "tool.execution_complete"):
                call = data.get("toolCallId")
                if kind != "tool.execution_complete" or call not in running:
                    builder.dropped["subagent event"] += 1
                    continue
                running.discard(call)
            if kind == "tool.execution_start" and _is_subagent(data.get("toolName")):
                if type(data.get("toolCallId")) is str:
                    running.add(data["toolCallId"])
            elif kind == "session.start":
                session_id = data.get("sessionId") if type(data.get("sessionId")) is str else None
                context = as_object(data.get("context"))
                for key, value in (("copilotVersion", data.get("copilotVersion")), ("cwd", context.get("cwd")),
                                   ("branch", context.get("branch")), ("startTime", data.get("startTime"))):  # fmt: skip
                    if type(value) is str and value:
                        metadata[key] = value
            elif kind == "user.message" and type(data.get("content")) is str:
                builder.user(data["content"])
                attachments = data.get("attachments")
                if type(attachments) is list and attachments:
                    builder.dropped["attachment"] += len(attachments)
            elif kind == "assistant.message":
                if type(data.get("content")) is str:
                    builder.text(data["content"])
                requests = data.get("toolRequests")
                for request in requests if type(requests) is list else ():
                    if type(request) is dict:
                        builder.block(
                            tool_use(request.get("toolCallId"), request.get("name"), request.get("arguments"))
                        )
            elif kind == "tool.execution_complete":
                result = as_object(data.get("result"))
                content = result.get("content", data.get("error"))
                builder.block(
                    tool_result(data.get("toolCallId"), content, is_error=data.get("success") is False)
                )
        turns = builder.finish(complete=False)
        if len({turn.role for turn in turns}) < 2:
            yield Skipped(_NO_TALK)
            return
        folder = PurePath(filename.replace("\\", "/"))
        fallback = folder.parent.name if folder.name == "events.jsonl" else folder.stem
        yield ParsedConversation(
            external_id=session_id or fallback,
            turns=turns,
            title=prompt_title(next((turn.text for turn in turns if turn.role == "user"), "")),
            metadata=metadata,
            line=1,
            dropped=dict(builder.dropped),
        )


def _is_history(record: dict[str, Any]) -> bool:
    return (
        type(record.get("sessionId")) is str
        and type(record.get("chatMessages")) is list
        and type(record.get("timeline")) is list
    )


def _history(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """A first version's session object: its chat messages, OpenAI's."""
    for item in iter_records(stream):
        if isinstance(item, RecordError):
            yield item
            continue
        record = as_object(item.value)
        if not record.get("chatMessages"):
            yield Skipped("Copilot CLI session without messages (nothing was asked)")
            continue
        try:
            builder = read_messages(record["chatMessages"], "chatMessages")
            conversation = builder.conversation(record["sessionId"])
        except BadRecord as exc:
            yield RecordError(str(exc), json_path=item.json_path)
            continue
        conversation.title = prompt_title(conversation.turns[0].text)
        model = record.get("selectedModel")
        conversation.metadata = {"model": model} if type(model) is str else {}
        conversation.json_path = item.json_path
        yield conversation


importer = CopilotCliImporter()
