"""Open WebUI chat exports: "Export chats" (`chat-export-<time>.json`) and a chat's "Export chat (.json)".

Both are a JSON array of `{id, user_id, title, chat, created_at, updated_at, ...}`; a file holding one such
object, or the `chat` object alone, reads the same. The thread is `chat.history.messages` (keyed by id, each
with `parentId` and `childrenIds`) walked back from `chat.history.currentId`, so regenerated answers and the
other models' answers to the same prompt (siblings under one parent) are not turns. Older exports without a
`history` have only the flat `chat.messages` list, which is read in order.

An answer's content is a string in which Open WebUI writes what happened besides the text as `<details>`
elements: `type="reasoning"` becomes a thinking block, `type="tool_calls"` a tool call and its result
(`name`, `arguments`, `result` attributes, HTML-escaped), `type="code_interpreter"` the code it ran and its
`output`. Images a user attached (`files` of type image) are counted as dropped. The chat's `id` is the
external id; its `models` are kept as metadata.

Since 0.11 an answer also keeps what the model produced as an `output` list of Responses-style items (`reasoning`,
`function_call`, `function_call_output`, `message`): read in order as thinking, tool calls and results and the
text, instead of `content`, which holds the text alone.

Qwen Chat (chat.qwen.ai) exports the same chats, its "export all chats" wrapped as `{success, request_id, data:
[chats]}` (the chats then streamed) and a single chat bare; an answer's text is in `content_list` by phase
(`answer`; `think` is a thinking block, `reasoning_content` too), its `content` empty.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM, BadRecord, json_or_text
from ._records import (
    RecordImporter,
    converted,
    external_id,
    first_byte,
    has_top_key,
    head_records,
    peekable,
    stream_items,
    stream_results,
    type_name,
)
from ._turns import TurnBuilder, flatten, tool_result, tool_use
from .base import ParsedConversation, ParseResult, SkipRecord

_DETAILS = re.compile(r'<details type="(\w+)"([^>]*)>(.*?)</details>', re.DOTALL)
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_SUMMARY = re.compile(r"^\s*<summary>.*?</summary>\s*", re.DOTALL)
_QUOTED = re.compile(r"^> ?", re.MULTILINE)


def _chat(record: dict[str, Any]) -> dict[str, Any] | None:
    """The record's chat: its `chat` object, or the record itself when it is a bare chat."""
    chat = record.get("chat")
    if type(chat) is dict:
        return chat if _is_chat(chat) else None
    return record if type(record.get("history")) is dict and _is_chat(record) else None


def _is_chat(chat: dict[str, Any]) -> bool:
    history = chat.get("history")
    if type(history) is dict:
        return type(history.get("messages")) is dict
    return type(chat.get("messages")) is list


def _thread(chat: dict[str, Any]) -> tuple[list[Any], bool]:
    """The messages of the selected branch, oldest first, and whether the selection named a message the history lost
    (the newest whole thread is read then)."""
    history = chat.get("history")
    if type(history) is not dict:
        return list(chat["messages"]), False
    messages = history["messages"]
    current = history.get("currentId")
    lost = type(current) is str and current not in messages
    if (current is None or lost) and messages:
        # No selection saved, or one naming a message the history lost (a tree Open WebUI broke; a chat-repair
        # tool's real test file): the newest leaf whose thread reaches the first message, as Open WebUI shows it.
        leaves = [
            m
            for m in messages.values()
            if type(m) is dict
            and not any(child in messages for child in m.get("childrenIds") or [])
            and _reaches_root(m, messages)
        ]
        current = max(leaves, key=_timestamp, default={}).get("id", current)
    thread: list[Any] = []
    seen: set[str] = set()
    while type(current) is str and current in messages and current not in seen:
        seen.add(current)
        message = messages[current]
        if type(message) is not dict:
            raise BadRecord(
                f"chat.history.messages.{current[:60]}: expected an object, got {type_name(message)}"
            )
        thread.append(message)
        current = message.get("parentId")
    if not thread and current is not None:
        raise BadRecord(f"chat.history.currentId: no message {str(current)[:60]!r} in chat.history.messages")
    thread.reverse()
    return thread, lost


def _reaches_root(message: dict[str, Any], messages: dict[str, Any]) -> bool:
    """Whether the message's parents lead to a message without one (not to a parent the history lost)."""
    seen: set[str] = set()
    while type(message) is dict:
        parent = message.get("parentId")
        if parent is None:
            return True
        if type(parent) is not str or parent in seen or parent not in messages:
            return False
        seen.add(parent)
        message = messages[parent]
    return False


def _timestamp(message: dict[str, Any]) -> float:
    value = message.get("timestamp")
    return value if type(value) is int or type(value) is float else 0


def add_answer(builder: TurnBuilder, content: str) -> None:
    """An answer's text and the `<details>` elements inside it, in order."""
    at = 0
    for element in _DETAILS.finditer(content):
        builder.text(content[at : element.start()].strip())
        at = element.end()
        kind, attributes, inner = (
            element.group(1),
            dict(_ATTRIBUTE.findall(element.group(2))),
            element.group(3),
        )
        value = {key: html.unescape(text) for key, text in attributes.items()}
        if kind == "reasoning":
            # Each line quoted with "> " (written as "&gt; " since Open WebUI escapes what it writes there).
            thinking = _QUOTED.sub("", html.unescape(_SUMMARY.sub("", inner))).strip()
            if thinking:
                builder.block({"type": "thinking", "thinking": thinking})
        elif kind == "tool_calls":
            call_id = value.get("id")
            builder.block(tool_use(call_id, value.get("name"), _json_or_text(value.get("arguments"))))
            if "result" in value:
                builder.block(tool_result(call_id, _result_text(value["result"])))
        elif kind == "code_interpreter":
            builder.block(tool_use(None, "code_interpreter", html.unescape(_SUMMARY.sub("", inner)).strip()))
            if "output" in value:
                builder.block(tool_result(None, _result_text(value["output"])))
        else:
            builder.dropped[kind[:40]] += 1
    builder.text(content[at:].strip())


def _texts(parts: Any) -> str:
    """The text of an output item's `content` or `output`: its `output_text` / `input_text` parts, or a string."""
    if type(parts) is str:
        return parts
    if type(parts) is not list:
        return ""
    return "".join(part["text"] for part in parts if type(part) is dict and type(part.get("text")) is str)


def _output(builder: TurnBuilder, items: list[Any]) -> bool:
    """An answer's `output` items (Open WebUI 0.11 on), in order; False when they hold no message to read, so that
    `content` is read instead."""
    if not any(type(item) is dict and item.get("type") == "message" for item in items):
        return False
    for item in items:
        if type(item) is not dict:
            continue
        kind = item.get("type")
        if kind == "reasoning":
            thinking = _texts(item.get("content")) or _texts(item.get("summary"))
            if thinking.strip():
                builder.block({"type": "thinking", "thinking": thinking.strip()})
        elif kind == "function_call":
            arguments = item.get("arguments")
            builder.block(
                tool_use(
                    item.get("call_id"),
                    item.get("name"),
                    _json_or_text(arguments) if type(arguments) is str else arguments,
                )
            )
        elif kind == "function_call_output":
            builder.block(tool_result(item.get("call_id"), _texts(item.get("output"))))
        elif kind == "message":
            builder.text(_texts(item.get("content")).strip())
        elif type(kind) is str:
            builder.dropped[kind[:40]] += 1
    return True


def _phases(builder: TurnBuilder, phases: list[Any]) -> None:
    """Qwen Chat's answer: `content_list` items by `phase` (`answer` the text, `think` the reasoning; a web
    search's results are counted as dropped)."""
    for item in phases:
        if type(item) is not dict or type(item.get("content")) is not str:
            continue
        phase = item.get("phase")
        if phase == "answer":
            add_answer(builder, item["content"])
        elif phase in ("think", "thinking", "reasoning"):
            builder.thinking(item["content"])
        elif item["content"].strip():
            builder.dropped[str(phase)] += 1


def _json_or_text(value: str | None) -> Any:
    return None if value is None else json_or_text(value)


def _result_text(value: str) -> str:
    """A tool's result as text: Open WebUI stores it as a JSON string (a quoted text, or an object)."""
    parsed = _json_or_text(value)
    if type(parsed) is str:
        return parsed
    return value


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    if type(record) is not dict:  # an item of Qwen Chat's streamed `data`
        raise BadRecord(f"expected a chat object, got {type_name(record)}")
    chat = _chat(record)
    if chat is None:
        raise BadRecord("chat: expected an object with history.messages or messages")
    builder = TurnBuilder()
    thread, lost = _thread(chat)
    if lost:
        # The selected message is gone from the history: the thread read is the newest whole one, and it is said.
        builder.dropped["selected message missing"] += 1
    for message in thread:
        if type(message) is not dict:
            raise BadRecord(f"chat.messages: expected objects, got {type_name(message)}")
        role, content = message.get("role"), message.get("content")
        if content is not None and type(content) is not str and type(content) is not list:
            raise BadRecord(f"message {str(message.get('id'))[:60]}: content is {type_name(content)}")
        files = message.get("files")
        if type(files) is list:
            for file in files:
                if type(file) is dict and file.get("type") == "image":
                    builder.dropped["image"] += 1
        if role == "user":
            builder.user(flatten(content, builder.dropped))
        elif role == "assistant":
            if type(message.get("reasoning_content")) is str:
                builder.thinking(message["reasoning_content"])
            output = message.get("output")
            if type(output) is list and _output(builder, output):
                continue
            if not content and type(message.get("content_list")) is list:
                _phases(builder, message["content_list"])
            elif type(content) is str:
                add_answer(builder, content)
            else:
                builder.text(flatten(content, builder.dropped))
        elif role == "system":
            builder.system(flatten(content))
    if not builder.finish(complete=False):
        raise SkipRecord("empty chat")
    title = record.get("title", chat.get("title"))
    models = chat.get("models")
    metadata = {"models": models} if type(models) is list and models else {}
    return builder.conversation(
        external_id(record, fallback),
        title=title if type(title) is str and title else None,
        metadata=metadata,
    )


def _looks(record: dict[str, Any]) -> bool:
    return _chat(record) is not None


def _hint(head: bytes) -> bool:
    """A first chat longer than the head: the export's keys come before its messages."""
    if b'"childrenIds"' not in head or b'"history"' not in head:
        return False
    return first_byte(head) == ord("[") or has_top_key(head, b'"chat"') or has_top_key(head, b'"history"')


# Qwen Chat's "export all chats": `{success, request_id, data: [chats]}` around Open WebUI's chats.
_WRAPPED = re.compile(
    rb'\s*\{\s*"success"\s*:\s*(?:true|false)\s*,\s*"request_id"\s*:\s*"[^"]*"\s*,\s*"data"\s*:\s*(?=\[)'
)


def _is_wrapper(record: dict[str, Any]) -> bool:
    data = record.get("data")
    return (
        "request_id" in record
        and type(data) is list
        and bool(data)
        and type(data[0]) is dict
        and _looks(data[0])
    )


class OpenWebUIImporter:
    """Open WebUI's exports (records: `_convert`), and Qwen Chat's wrapped one, its chats streamed."""

    name = "open-webui"

    def __init__(self) -> None:
        self._records = RecordImporter("open-webui", _convert, looks=_looks, hint=_hint)

    def sniff(self, head: bytes, filename: str) -> bool:
        if self._records.sniff(head, filename):
            return True
        records = head_records(head)
        if records:
            return _is_wrapper(records[0])
        return _WRAPPED.match(head.removeprefix(BOM)) is not None and b'"childrenIds"' in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        items = stream_items(buffered, _WRAPPED, "$.data")
        if items is None:
            return self._records.parse(buffered, filename)
        return stream_results(
            items,
            lambda chat, where: converted(_convert, chat, where, f"{filename}:{where}"),
            "Qwen Chat export without chats",
        )


importer = OpenWebUIImporter()
