"""LlamaIndex chat stores: `SimpleChatStore.persist()` writes one JSON object, `{"store": {<key>: [messages]},
"class_name": "SimpleChatStore"}`, a conversation per key (a user or a session, as the app chose).

Shape from `llama_index.core.storage.chat_store.simple_chat_store` and `llama_index.core.base.llms.types`
(`ChatMessage`): `{role, content?, blocks?: [{block_type: "text", text} | {block_type: "image", ...}],
additional_kwargs}`. The roles are `user`, `assistant`, `system`, `tool` (and `chatbot`, `model`, `function`,
read as their kind); an assistant's `additional_kwargs.tool_calls` (OpenAI's shape) are tool calls of the answer,
`tool` messages (`additional_kwargs.tool_call_id`) their results. Blocks other than text are counted as dropped.
The key is the external id (`<file>#<key>`), the first prompt the title.

Apps that keep the messages themselves write the same `ChatMessage` dumps without the store around them (`[msg.
model_dump() for msg in history]`, or an object of such lists by user or session: a real analyst bot's
`chat_histories.json`, ninth fetch, matched no format): read the same, a conversation per list. They are told by
their messages' `blocks` of `block_type`s, which no other format writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._frameworks import conversation_of, whole_value
from ._json import BadRecord
from ._records import expect, sniff_head
from ._turns import TurnBuilder, tool_result, tool_use
from .base import FileFormatError, ParseResult, RecordError
from .openai import parse_arguments

_ROLES = {"user": "user", "assistant": "assistant", "chatbot": "assistant", "model": "assistant",
          "system": "system", "developer": "system", "tool": "tool", "function": "tool"}  # fmt: skip


def _text(message: dict[str, Any], builder: TurnBuilder, where: str) -> str:
    blocks = message.get("blocks")
    if blocks is None:
        content = message.get("content")
        return content if type(content) is str else ""
    texts = []
    for k, block in enumerate(expect(blocks, list, f"{where}.blocks")):
        kind = expect(block, dict, f"{where}.blocks[{k}]").get("block_type")
        if kind == "text" and type(block.get("text")) is str:
            texts.append(block["text"])
        else:
            builder.dropped[kind if type(kind) is str else "unknown"] += 1
    return "\n".join(texts)


def _add(builder: TurnBuilder, message: dict[str, Any], where: str) -> None:
    role = _ROLES.get(str(message.get("role")).lower())
    if role is None:
        got = orjson.dumps(message.get("role")).decode()
        raise BadRecord(f'{where}.role: expected "user", "assistant", "system" or "tool", got {got}')
    text = _text(message, builder, where)
    extra = message.get("additional_kwargs")
    extra = extra if type(extra) is dict else {}
    if role == "user":
        builder.user(text)
    elif role == "assistant":
        builder.text(text)
        calls = extra.get("tool_calls")
        for call in calls if type(calls) is list else ():
            function = call.get("function") if type(call) is dict else None
            if type(function) is dict and type(function.get("name")) is str:
                builder.block(
                    tool_use(call.get("id"), function["name"], parse_arguments(function.get("arguments")))
                )
    elif role == "system":
        builder.system(text)
    else:
        builder.block(tool_result(extra.get("tool_call_id"), text))


def _looks(record: dict[str, Any]) -> bool:
    return type(record.get("store")) is dict and record.get("class_name") in (None, "SimpleChatStore")


def _is_message(value: Any) -> bool:
    """A `ChatMessage` dump: a role and its content as blocks that name their `block_type`."""
    if type(value) is not dict or type(value.get("role")) is not str or type(value.get("blocks")) is not list:
        return False
    blocks = value["blocks"]
    return bool(blocks) and all(type(block) is dict and "block_type" in block for block in blocks)


def _is_history(value: Any) -> bool:
    return type(value) is list and bool(value) and _is_message(value[0])


def _histories(value: dict[str, Any]) -> bool:
    """An object of message lists by user or session, the first of them `ChatMessage` dumps."""
    lists = [item for item in value.values() if type(item) is list and item]
    return bool(lists) and all(type(item) is list for item in value.values()) and _is_history(lists[0])


class LlamaIndexImporter:
    name = "llamaindex"

    def sniff(self, head: bytes, filename: str) -> bool:
        if sniff_head(
            head,
            opener=b"{",
            looks=lambda record: _looks(record) and record.get("class_name") == "SimpleChatStore",
            hint=lambda h: b'"store"' in h and b'"SimpleChatStore"' in h,
        ):
            return True
        # The messages without the store: a list of them, or an object of lists. Their first message tells.
        return sniff_head(
            head,
            opener=b"{[",
            looks=lambda record: _is_message(record) or _histories(record),
            hint=lambda h: b'"block_type"' in h[:4096] and b'"blocks"' in h[:4096] and b'"role"' in h[:4096],
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        name = filename.replace("\\", "/")
        for value in whole_value(stream):
            if isinstance(value, RecordError):
                yield value
                continue
            if _is_history(value):
                yield conversation_of(value, _add, external_id=name, field="$", json_path="$")
                continue
            if type(value) is dict and not _looks(value) and _histories(value):
                value = {"store": value}
            if type(value) is not dict or not _looks(value):
                raise FileFormatError(
                    'expected a LlamaIndex chat store, {"store": {key: [messages]}}, or its messages'
                )
            for key, messages in value["store"].items():
                if type(messages) is not list:
                    yield RecordError(f"store.{key}: expected a list of messages", json_path=f"$.store.{key}")
                    continue
                yield conversation_of(
                    messages,
                    _add,
                    external_id=f"{name}#{key}",
                    field=f"store.{key}",
                    json_path=f"$.store.{key}",
                )


importer = LlamaIndexImporter()
