"""Grok (xAI) account export: `prod-grok-backend.json` from the data export of accounts.x.ai.

The shape was read from third-party converters (nexus-ai-chat-importer's Grok types and other open parsers),
not from xAI's documentation: `{"conversations": [{"conversation": {...}, "responses": [{"response": {...}}]}],
"projects": [...], "tasks": [...]}`.
- `conversation`: `{id, title, create_time, modify_time, user_id, system_prompt_name, ...}`; the `id` is the
  external id, the `title` the title (else the first prompt).
- `response`: `{_id, conversation_id, message, sender, create_time, model, file_attachments?,
  generated_image_urls?, ...}`. `sender` is `human` or `assistant` (older exports: `ASSISTANT`), `message` the
  text; `create_time` is MongoDB extended JSON (`{"$date": {"$numberLong": "<ms>"}}`, or `{"$date": <ISO>}`)
  or a plain ISO string.

Responses are not stored in order: they are sorted by `create_time` (one without a time stays after the one
before it in the file). No link between a response and the one it answers is known, so branches cannot be
rebuilt: two or more answers in a row with no prompt between them are regenerations of one answer, and only the
newest is kept (the others are counted in the metadata as `regenerated_responses`); an edited prompt reads as a
follow-up. An answer's `thinking_trace` (newer exports) is its thinking block. Attachments (`file_attachments`, stored under `prod-mc-asset-server/`) and generated images are
counted as dropped; the models are metadata. Projects, tasks and Imagine posts are not conversations and are
left out.

The conversations array is streamed item by item when it is the object's first key (as in every export seen);
otherwise the file is read whole as one object, within the record limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from ._json import BadRecord, has_top_key
from ._records import (
    converted,
    expect,
    iter_records,
    peekable,
    sniff_head,
    stream_items,
    stream_results,
    type_name,
)
from ._turns import TurnBuilder, prompt_title, without_citation_cards
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord

_USER = ("human", "user")
_ASSISTANT = ("assistant",)
# The opening of an export whose first key is the conversations array, up to (not including) its `[`.
_OPENING = re.compile(rb'\s*\{\s*"conversations"\s*:\s*(?=\[)')


def _looks(record: dict[str, Any]) -> bool:
    conversations = record.get("conversations")
    if type(conversations) is not list:
        return False
    if not conversations:
        return "projects" in record or "tasks" in record
    first = conversations[0]
    return type(first) is dict and (
        type(first.get("conversation")) is dict or type(first.get("responses")) is list
    )


def _hint(head: bytes) -> bool:
    return has_top_key(head, b'"conversations"') and b'"conversation"' in head and b'"responses"' in head


class GrokImporter:
    name = "grok"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        items = stream_items(buffered, _OPENING, "$.conversations")
        if items is None:
            yield from self._whole(buffered, filename)
            return
        yield from stream_results(
            items, lambda value, where: _result(value, where, filename), "Grok export without conversations"
        )

    def _whole(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            value = record.value
            conversations = value.get("conversations") if type(value) is dict else None
            if type(conversations) is not list:
                got = type_name(conversations) if type(value) is dict else type_name(value)
                reason = f"conversations: expected the list of conversations, got {got}"
                yield RecordError(reason, line=record.line, json_path=record.json_path)
                continue
            if not conversations:
                yield Skipped("Grok export without conversations")
            base = record.json_path or "$"
            for index, item in enumerate(conversations):
                result = _result(item, f"{base}.conversations[{index}]", filename)
                if isinstance(result, ParsedConversation | RecordError):
                    result.line = record.line
                yield result


def _result(value: Any, where: str, filename: str) -> ParseResult:
    return converted(_convert, value, where, f"{filename}:{where}")


def _millis(value: Any) -> float | None:
    """A time in milliseconds since the epoch: MongoDB extended JSON (`{"$date": {"$numberLong": ms}}`,
    `{"$date": ms}` or `{"$date": ISO}`), an ISO string or a number; None when unreadable."""
    if type(value) is dict:
        value = value.get("$date")
        if type(value) is dict:
            value = value.get("$numberLong")
            if type(value) is str:
                try:
                    return float(value)
                except ValueError:
                    return None
    if type(value) is int or type(value) is float:
        return float(value)
    if type(value) is str:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
        except ValueError:
            return None
    return None


def _responses(value: Any) -> list[tuple[float, int, dict[str, Any]]]:
    """The responses with their times, in time order (an untimed one keeps the time of the one before)."""
    responses = expect(value, list, "responses")
    timed: list[tuple[float, int, dict[str, Any]]] = []
    last = float("-inf")
    for j, entry in enumerate(responses):
        where = f"responses[{j}]"
        expect(entry, dict, where)
        response = entry.get("response", entry)
        if type(response) is not dict:
            raise BadRecord(f"{where}.response: expected an object, got {type_name(response)}")
        when = _millis(response.get("create_time"))
        last = when if when is not None else last
        timed.append((last, j, response))
    timed.sort(key=lambda item: (item[0], item[1]))
    return timed


def _convert(item: Any, fallback: str) -> ParsedConversation:
    expect(item, dict, "conversation entry")
    meta = item.get("conversation")
    meta = meta if type(meta) is dict else {}
    builder = TurnBuilder()
    title: str | None = None
    models: list[str] = []
    # The answer waiting for the next prompt: a newer answer in a row replaces it.
    answer: str | None = None
    thinking = ""  # the answer's reasoning (`thinking_trace`, newer exports)
    regenerated = 0
    for _, j, response in _responses(item.get("responses")):
        where = f"responses[{j}].response"
        sender = response.get("sender")
        role = sender.lower() if type(sender) is str else None
        if role not in _USER and role not in _ASSISTANT:
            shown = f'"{sender}"' if type(sender) is str else type_name(sender)
            raise BadRecord(f'{where}.sender: expected "human" or "assistant", got {shown}')
        text = response.get("message")
        if type(text) is not str:
            raise BadRecord(f"{where}.message: expected the text, got {type_name(text)}")
        if role in _ASSISTANT:
            regenerated += answer is not None
            answer = without_citation_cards(text, builder.dropped)
            trace = response.get("thinking_trace")
            thinking = trace if type(trace) is str else ""
            images = response.get("generated_image_urls")
            if type(images) is list and images:
                builder.dropped["image"] += len(images)
        else:
            if answer is not None:
                builder.thinking(thinking)
                builder.text(answer)
                answer = None
            builder.user(text)
            if title is None and text.strip():
                title = prompt_title(text)
            files = response.get("file_attachments")
            if type(files) is list and files:
                builder.dropped["file"] += len(files)
        model = response.get("model")
        if type(model) is str and model and model not in models:
            models.append(model)
    if answer is not None:
        builder.thinking(thinking)
        builder.text(answer)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord("Grok conversation without an answer")
    metadata: dict[str, Any] = {}
    if type(meta.get("create_time")) is str:
        metadata["create_time"] = meta["create_time"]
    if models:
        metadata["models"] = models
    if regenerated:
        metadata["regenerated_responses"] = regenerated
    conversation_id = meta.get("id")
    name = meta.get("title")
    return builder.conversation(
        conversation_id if type(conversation_id) is str and conversation_id else fallback,
        title=name if type(name) is str and name.strip() else title,
        metadata=metadata,
    )


importer = GrokImporter()
