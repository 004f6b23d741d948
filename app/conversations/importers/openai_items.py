"""Conversation items of OpenAI's Responses and Conversations APIs: the list `GET /v1/conversations/{id}/items`
returns (`{"object": "list", "data": [items], "first_id", "last_id", "has_more"}`), or a JSON array of such items
(a Responses `input` saved as it was sent); and the Assistants API's thread messages, the list `GET
/v1/threads/{id}/messages` returns (the same wrapper around `{object: "thread.message", role, created_at, content:
[{type: "text", text: {value, annotations}} | {type: "image_file", ...}]}`, newest first unless asked otherwise:
read in the order of `created_at`; a file citation's marker, `【4:0†source】`, is taken out of the text as its
annotation places it). One conversation per file.

Shape from OpenAI's API reference: an item is `{type: "message", role: "user" | "assistant" | "system" |
"developer", content: [{type: "input_text" | "output_text", text} | {type: "input_image" | "input_file", ...}]}`
(a user message's `content` may be a string), `{type: "function_call", call_id, name, arguments}` and
`{type: "function_call_output", call_id, output}` (a tool call of the answer and its result), `{type:
"reasoning", summary: [{type: "summary_text", text}]}` (the answer's thinking block). Other item types
(`web_search_call`, `file_search_call`, `computer_call`, ...) and non-text parts are counted as dropped. The
file's path is the external id, the first prompt the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._frameworks import conversation_of, whole_value
from ._json import BadRecord
from ._records import sniff_head
from ._turns import TurnBuilder, tool_result, tool_use
from .base import FileFormatError, ParseResult, RecordError
from .openai import parse_arguments

_TEXT_PARTS = ("input_text", "output_text", "text", "refusal")
# A thread's message list longer than the head: the list's wrapper, then its first message.
_THREAD_LIST = re.compile(
    rb'\s*\{\s*"object"\s*:\s*"list"\s*,\s*"data"\s*:\s*\[\s*\{[^\[]*"object"\s*:\s*"thread\.message"'
)


def _text(content: Any, builder: TurnBuilder, where: str) -> str:
    if type(content) is str:
        return content
    if type(content) is not list:
        raise BadRecord(f"{where}.content: expected text or a list of parts")
    texts = []
    for part in content:
        kind = part.get("type") if type(part) is dict else None
        if kind == "text" and type(part.get("text")) is dict:
            texts.append(_thread_text(part["text"]))
        elif kind in _TEXT_PARTS and type(part.get("text", part.get("refusal"))) is str:
            texts.append(part.get("text", part.get("refusal")))
        else:
            builder.dropped[str(kind).removeprefix("input_") if kind else "unknown"] += 1
    return "\n".join(texts)


def _thread_text(text: dict[str, Any]) -> str:
    """An Assistants API text part's words, its file citations' markers taken out (a file path's link is kept)."""
    value = text.get("value")
    if type(value) is not str:
        return ""
    annotations = text.get("annotations")
    for note in annotations if type(annotations) is list else ():
        marker = note.get("text") if type(note) is dict and note.get("type") == "file_citation" else None
        if type(marker) is str and marker:
            value = value.replace(marker, "")
    return value


def add_item(builder: TurnBuilder, item: dict[str, Any], where: str) -> None:
    """Feed one conversation item (or Assistants thread message) to `builder`; BadRecord names a bad field."""
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role")
        text = _text(item.get("content"), builder, where)
        if role == "user":
            builder.user(text)
        elif role == "assistant":
            builder.text(text)
        elif role in ("system", "developer"):
            builder.system(text)
        else:
            got = orjson.dumps(role).decode()
            raise BadRecord(f'{where}.role: expected "user", "assistant", "system" or "developer", got {got}')
    elif kind == "function_call":
        builder.block(tool_use(item.get("call_id"), item.get("name"), parse_arguments(item.get("arguments"))))
    elif kind == "function_call_output":
        output = item.get("output")
        builder.block(
            tool_result(item.get("call_id"), output if type(output) is str else orjson.dumps(output).decode())
        )
    elif kind == "reasoning":
        summary = item.get("summary")
        texts = (
            [part["text"] for part in summary if type(part) is dict and type(part.get("text")) is str]
            if type(summary) is list
            else []
        )
        builder.thinking("\n\n".join(texts))
    else:
        builder.dropped[str(kind)[:40]] += 1


def _thread_message(item: dict[str, Any]) -> bool:
    return item.get("object") == "thread.message" and type(item.get("content")) is list


def _looks_item(item: dict[str, Any]) -> bool:
    content = item.get("content")
    return (
        item.get("type") == "message"
        and type(content) is list
        and any(type(p) is dict and p.get("type") in ("input_text", "output_text") for p in content)
    )


def _items(value: Any) -> list[Any] | None:
    if type(value) is dict and value.get("object") == "list" and type(value.get("data")) is list:
        items = list(value["data"])
        if items and all(type(i) is dict and i.get("object") == "thread.message" for i in items):
            # Thread messages come newest first by default: read them in the order they were written.
            items.sort(key=lambda i: i["created_at"] if type(i.get("created_at")) in (int, float) else 0)
        return items
    return value if type(value) is list else None


class OpenAIItemsImporter:
    name = "openai-items"

    def sniff(self, head: bytes, filename: str) -> bool:
        def looks(record: dict[str, Any]) -> bool:
            data = record.get("data") if record.get("object") == "list" else None
            if type(data) is list and data:
                return type(data[0]) is dict and (_looks_item(data[0]) or _thread_message(data[0]))
            # Thread messages one per line, without the list, are Jan's threads.
            return _looks_item(record)

        return sniff_head(
            head,
            opener=b"{[",
            looks=looks,
            hint=lambda h: (
                (
                    b'"type": "message"' in h.replace(b'"type":"message"', b'"type": "message"')
                    and (b'"input_text"' in h or b'"output_text"' in h)
                )
                or _THREAD_LIST.match(h) is not None
            ),
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        for value in whole_value(stream):
            if isinstance(value, RecordError):
                yield value
                continue
            items = _items(value)
            if items is None:
                raise FileFormatError(
                    'expected a list of conversation items ({"object": "list", "data": [...]})'
                )
            thread = items[0].get("thread_id") if items and type(items[0]) is dict else None
            # A thread's messages carry the thread's id; a list of items is known by its file.
            known_as = thread if type(thread) is str and thread else filename.replace("\\", "/")
            yield conversation_of(items, add_item, external_id=known_as, field="data")


importer = OpenAIItemsImporter()
