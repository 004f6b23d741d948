"""Gemini CLI chat recordings (`~/.gemini/tmp/<project>/chats/session-*.json` or `.jsonl`): one conversation a file.

Older versions write one object, `{sessionId, projectHash, startTime, lastUpdated, messages, summary?}`, again
in full at every change. Newer ones append JSON Lines: a first line with the same keys but `messages`, then one
line per message (a message written again when it changes: the last copy wins, in the place of the first),
`{"$set": {...}}` lines that update those keys (`messages` among them) and `{"$rewindTo": id}` lines that drop
that message and everything after it.

A message is `{id, timestamp, type, content, displayContent?}`:
- `user`: the prompt. Its `displayContent`, when there is one, is what was typed; the files an `@path`
  reference pulled in (newer versions: the rest of `content`; older: the part after "--- Content from
  referenced files ---") are a context block. Slash commands (`/…`, `?`) are not prompts, and what the CLI
  adds as a user message (`<session_context>`, `<hook_context>`) is context.
- `gemini`: the answer. `thoughts` (`{subject, description}`) become a thinking block, `toolCalls` (`{id, name,
  args, result, status}`) a tool call and its result (an error when its status is `error`), `content` the
  text; the model is metadata.
- `info`, `warning` and `error` are the CLI's own notices and are left out.

The `sessionId` is the external id and the `summary`, when there is one, the title. A subagent's recording
(`kind: "subagent"`) is skipped, as Claude Code's sidechains are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord
from ._records import first_byte, head_records, iter_records, type_name
from ._turns import TurnBuilder, flatten, prompt_title, thinking_block, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped

_REFERENCED = "\n--- Content from referenced files ---"
_CONTEXT_TAGS = ("<session_context>", "<hook_context>")


def _is_meta(record: Any) -> bool:
    return (
        type(record) is dict
        and type(record.get("sessionId")) is str
        and type(record.get("projectHash")) is str
    )


class GeminiCliImporter:
    name = "gemini-cli"

    def sniff(self, head: bytes, filename: str) -> bool:
        if first_byte(head) != ord("{"):
            return False
        records = head_records(head)
        if records:
            return _is_meta(records[0])
        # A recording whose first message is longer than the head: its keys come first.
        return b'"sessionId"' in head[:400] and b'"projectHash"' in head[:400]

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        meta: dict[str, Any] | None = None
        messages: dict[str, dict[str, Any]] = {}
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            value = record.value
            try:
                if type(value) is not dict:
                    raise BadRecord(f"expected a JSON object, got {type_name(value)}")
                if meta is None:
                    if not _is_meta(value):
                        raise BadRecord("expected the recording's sessionId and projectHash first")
                    meta = dict(value)
                    _set_messages(messages, value.get("messages"), "messages")
                elif "$set" in value:
                    update = value["$set"]
                    if type(update) is not dict:
                        raise BadRecord(f"$set: expected an object, got {type_name(update)}")
                    meta.update(update)
                    if "messages" in update:
                        messages.clear()
                        _set_messages(messages, update["messages"], "$set.messages")
                elif "$rewindTo" in value:
                    _rewind(messages, value["$rewindTo"])
                else:
                    _set_messages(messages, [value], "message")
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)
        if meta is None:
            return
        if meta.get("kind") == "subagent":
            yield Skipped("Gemini CLI subagent session")
            return
        yield _conversation(meta, list(messages.values()), filename)


def _set_messages(messages: dict[str, dict[str, Any]], value: Any, field: str) -> None:
    if value is None:
        return
    if type(value) is not list:
        raise BadRecord(f"{field}: expected a list of messages, got {type_name(value)}")
    for i, message in enumerate(value):
        if type(message) is not dict or type(message.get("id")) is not str:
            raise BadRecord(f"{field}[{i}]: expected a message with an id, got {type_name(message)}")
        messages[message["id"]] = message


def _rewind(messages: dict[str, dict[str, Any]], target: Any) -> None:
    if type(target) is not str:
        raise BadRecord(f"$rewindTo: expected a message id, got {type_name(target)}")
    if target in messages:
        keys = list(messages)
        for key in keys[keys.index(target) :]:
            del messages[key]


def _conversation(meta: dict[str, Any], messages: list[dict[str, Any]], filename: str) -> ParseResult:
    builder = TurnBuilder()
    title: str | None = None
    models: list[str] = []
    for message in messages:
        kind = message.get("type")
        if kind == "user":
            typed = _user(builder, message)
            if title is None and typed:
                title = prompt_title(typed)
        elif kind == "gemini":
            _answer(builder, message)
            model = message.get("model")
            if type(model) is str and model and model not in models:
                models.append(model)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        return Skipped("session without a conversation")
    summary = meta.get("summary")
    metadata: dict[str, Any] = {"models": models} if models else {}
    return builder.conversation(
        meta["sessionId"], title=summary if type(summary) is str and summary else title, metadata=metadata
    )


def _text(content: Any, builder: TurnBuilder) -> str:
    """The words of a message's content: a string, or its Gemini parts' `text` (not the thoughts). Inline
    files and images are counted as dropped; function calls and responses are read elsewhere."""
    if type(content) is str:
        return content
    texts = []
    for part in content if type(content) is list else ():
        if type(part) is str:
            texts.append(part)
        elif type(part) is not dict or part.get("thought") is True:
            continue
        elif type(part.get("text")) is str:
            texts.append(part["text"])
        elif type(part.get("inlineData")) is dict or type(part.get("fileData")) is dict:
            data = part.get("inlineData") or part.get("fileData")
            mime = data.get("mimeType") if type(data) is dict else None
            builder.dropped["image" if type(mime) is str and mime.startswith("image/") else "file"] += 1
    return "".join(texts)


def _user(builder: TurnBuilder, message: dict[str, Any]) -> str:
    """Add a user message; return the text typed, or "" for a command or an added context."""
    content = message.get("content")
    parts = content if type(content) is list else []
    for part in parts:
        if type(part) is dict and type(part.get("functionResponse")) is dict:
            builder.block(_response(part["functionResponse"], None))
    text = _text(content, builder)
    shown = message.get("displayContent")
    typed = _text(shown, TurnBuilder()) if type(shown) in (str, list) else text
    if typed.lstrip().startswith(_CONTEXT_TAGS):
        builder.user("", blocks=[{"type": "context", "tag": "gemini_context", "text": typed.strip()}])
        return ""
    if typed.startswith(("/", "?")) or not typed.strip():
        return ""
    context = ""
    if type(shown) in (str, list):
        context = text.replace(typed, "", 1).strip() if typed in text else text.strip()
    elif _REFERENCED in text:
        typed, context = text.split(_REFERENCED, 1)
        context = _REFERENCED.strip() + context
    blocks = [{"type": "context", "tag": "referenced_files", "text": context}] if context else None
    builder.user(typed, blocks=blocks)
    return typed


def _answer(builder: TurnBuilder, message: dict[str, Any]) -> None:
    thinking = thinking_block(message.get("thoughts"), ("subject", "description"))
    if thinking is not None:
        builder.block(thinking)
    builder.text(_text(message.get("content"), builder))
    calls = message.get("toolCalls")
    for call in calls if type(calls) is list else ():
        if type(call) is not dict:
            continue
        builder.block(tool_use(call.get("id"), call.get("name"), call.get("args")))
        result = call.get("result")
        responses = [
            part["functionResponse"]
            for part in (result if type(result) is list else ())
            if type(part) is dict and type(part.get("functionResponse")) is dict
        ]
        for response in responses:
            builder.block(_response(response, call))
        if not responses and call.get("status") in ("error", "cancelled"):
            display = call.get("resultDisplay")
            builder.block(
                tool_result(call.get("id"), display if type(display) is str else call["status"], True)
            )


def _response(response: dict[str, Any], call: dict[str, Any] | None) -> dict[str, Any]:
    """A functionResponse part as a tool_result block: its `output` (or `error`) as the text."""
    body = response.get("response")
    body = body if type(body) is dict else {}
    failed = "error" in body or (call is not None and call.get("status") == "error")
    value = body.get("output", body.get("error", ""))
    text = value if type(value) is str else flatten(value) if type(value) is list else str(value)
    call_id = response.get("id", call.get("id") if call is not None else None)
    return tool_result(call_id, text, failed)


importer = GeminiCliImporter()
