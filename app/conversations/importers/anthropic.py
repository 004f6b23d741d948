"""Anthropic Messages JSONL: `{"system"?: str | blocks, "messages": [{"role", "content": str | blocks}]}`.

Text, thinking and tool_use blocks of an assistant message are kept as blocks; tool_result blocks (sent
by the user role in this API) attach to the assistant turn they answer. Images, documents and redacted
thinking carry no reviewable text and are dropped. A JSON array of such records is read too.

The API's answers saved without their requests are skipped with that reason: a response object
(`{"id": "msg_...", "type": "message", "role": "assistant", "content", "stop_reason", "usage"}`) and the
Message Batches results file (`{"custom_id", "result": {"type": "succeeded", "message"}}` a line, or a result
of type `errored`, `canceled` or `expired`, which holds no answer either).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ._json import BOM, BadRecord, json_or_text
from ._records import RecordImporter, as_object, expect, external_id, type_name
from ._training_rows import has_exchange
from ._turns import TurnBuilder, flatten, response_block, tool_result, tool_use
from .base import ParsedConversation, SkipRecord
from .openai import UNANSWERED_CHAT, is_openai_shaped, is_saved_chat

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_BLOCK_TYPES = ("text", "thinking", "redacted_thinking", "tool_use", "tool_result", "image", "document")
_BLOCK_HINT = re.compile(rb'"type"\s*:\s*"(?:tool_use|tool_result|thinking)"')
# A response or a batch result longer than a file's head: the key it opens with.
_ANSWER_HINT = re.compile(rb'\s*\{\s*"(?:id"\s*:\s*"msg_|custom_id"\s*:\s*"[^"]*"\s*,\s*"result")')
_BATCH_RESULTS = ("succeeded", "errored", "canceled", "expired")
# A streamed delta's type -> (the block's field it adds to, the delta's field holding the piece).
_DELTAS = {
    "text_delta": ("text", "text"),
    "thinking_delta": ("thinking", "thinking"),
    "input_json_delta": ("input", "partial_json"),
}
_RESPONSE = "a model response without its request (the Messages API's answer alone)"
_BATCH_ANSWER = "Message Batches result: an answer without its request"
_BATCH_FAILED = "Message Batches result without an answer (errored, canceled or expired)"


def _add_text(builder: TurnBuilder, role: str, text: str) -> None:
    if role == "user":
        builder.user(text)
    else:
        builder.text(text)


def _add_blocks(builder: TurnBuilder, role: str, blocks: list[Any], where: str) -> None:
    for k, block in enumerate(blocks):
        if "type" not in expect(block, dict, f"{where}.content[{k}]"):
            _add_converse_block(builder, role, block, f"{where}.content[{k}]")
            continue
        kind = block.get("type")
        if kind == "text":
            _add_text(builder, role, expect(block.get("text"), str, f"{where}.content[{k}].text"))
        elif kind == "tool_result" and (stored := response_block(block)) is not None:
            builder.block(stored)
        elif kind in ("image", "document"):
            builder.dropped[kind] += 1
        elif role == "user":
            continue
        elif kind == "thinking" and (stored := response_block(block)) is not None:
            builder.block(stored)
        elif kind in ("tool_use", "server_tool_use"):
            builder.block(tool_use(block.get("id"), block.get("name"), block.get("input")))


def _add_converse_block(builder: TurnBuilder, role: str, block: dict[str, Any], where: str) -> None:
    """A block of Amazon Bedrock's Converse shape: keyed by its kind, with no `type` (`{"text": ...}`,
    `{"toolUse": {toolUseId, name, input}}`, `{"toolResult": {toolUseId, content, status}}`,
    `{"reasoningContent": {"reasoningText": {"text"}}}`, `{"image" | "document" | "video": ...}`)."""
    if type(block.get("text")) is str:
        _add_text(builder, role, block["text"])
    elif type(block.get("toolUse")) is dict:
        call = block["toolUse"]
        builder.block(tool_use(call.get("toolUseId"), call.get("name"), call.get("input")))
    elif type(block.get("toolResult")) is dict:
        result = block["toolResult"]
        content = result.get("content")
        parts = [
            part if "json" not in part else {"text": orjson.dumps(part["json"]).decode()}
            for part in (content if type(content) is list else [])
            if type(part) is dict
        ]
        builder.block(tool_result(result.get("toolUseId"), parts, result.get("status") == "error"))
    elif type(block.get("reasoningContent")) is dict:
        reasoning = block["reasoningContent"].get("reasoningText")
        text = reasoning.get("text") if type(reasoning) is dict else None
        if role == "assistant" and type(text) is str and text.strip():
            builder.block({"type": "thinking", "thinking": text})
    elif (kind := next((k for k in ("image", "document", "video") if k in block), None)) is not None:
        builder.dropped[kind] += 1
    else:
        raise BadRecord(f"{where}: expected a block with a `type`, or a Converse block (text, toolUse, ...)")


def add_message(builder: TurnBuilder, message: Any, where: str) -> None:
    """One message of a request, or the response's; BadRecord names the bad field under `where`, its path."""
    role = expect(message, dict, where).get("role")
    if role != "user" and role != "assistant":
        got = orjson.dumps(role).decode()
        raise BadRecord(f'{where}.role: expected "user" or "assistant", got {got}')
    content = message.get("content")
    if type(content) is str:
        _add_text(builder, role, content)
    elif type(content) is list:
        _add_blocks(builder, role, content, where)
    else:
        raise BadRecord(f"{where}.content: expected a string or a list of blocks, got {type_name(content)}")


def streamed_message(events: str) -> dict[str, Any] | None:
    """The answer of a streamed response, from its Server-Sent Events (`data: {...}` lines, as HTTP logs keep
    the body): `message_start`'s message, the blocks of `content_block_start` with their text, thinking and tool
    input joined from the deltas, and `message_delta`'s stop reason. None when it holds no block or reports an
    error (the answer broke off)."""
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    inputs: dict[int, str] = {}
    for line in events.splitlines():
        if not line.startswith("data:"):
            continue
        try:
            event = orjson.loads(line[5:].strip())
        except orjson.JSONDecodeError:
            continue
        event = as_object(event)
        kind, index = event.get("type"), event.get("index")
        delta = as_object(event.get("delta"))
        if kind == "error":
            return None
        if kind == "message_start":
            message = dict(as_object(event.get("message")))
        elif kind == "message_delta" and type(delta.get("stop_reason")) is str:
            message["stop_reason"] = delta["stop_reason"]
        elif kind == "content_block_start" and type(index) is int:
            blocks[index] = dict(as_object(event.get("content_block")))
        elif kind == "content_block_delta" and index in blocks:
            field, key = _DELTAS.get(str(delta.get("type")), ("", ""))
            piece = delta.get(key)
            if type(piece) is not str:
                continue
            if field == "input":  # JSON text in pieces, decoded once whole
                inputs[index] = inputs.get(index, "") + piece
            else:
                before = blocks[index].get(field)
                blocks[index][field] = (before if type(before) is str else "") + piece
    for index, text in inputs.items():
        blocks[index]["input"] = json_or_text(text)
    if not blocks:
        return None
    return {**message, "role": "assistant", "content": [blocks[index] for index in sorted(blocks)]}


def convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    """One Messages API request body (or a record of its shape) as a conversation."""
    if is_response(record):
        raise SkipRecord(_RESPONSE)
    if _is_batch_result(record):
        raise SkipRecord(_BATCH_ANSWER if record["result"]["type"] == "succeeded" else _BATCH_FAILED)
    builder = TurnBuilder()
    system = record.get("system")
    if system is not None:
        if type(system) is not str and type(system) is not list:
            raise BadRecord(f"system: expected a string or a list of blocks, got {type_name(system)}")
        builder.system(flatten(system))
    for i, message in enumerate(expect(record.get("messages"), list, "messages")):
        add_message(builder, message, f"messages[{i}]")
    title = record.get("title")
    if is_saved_chat(record) and not has_exchange(builder.finish(complete=False)):
        raise SkipRecord(UNANSWERED_CHAT)
    return builder.conversation(external_id(record, fallback), title=title if type(title) is str else None)


def is_response(record: dict[str, Any]) -> bool:
    """A Messages API response: the assistant's message alone (`type: "message"`, its content blocks)."""
    return (
        record.get("type") == "message"
        and record.get("role") == "assistant"
        and type(record.get("content")) is list
        and "messages" not in record
    )


def _is_batch_result(record: dict[str, Any]) -> bool:
    result = record.get("result")
    return "custom_id" in record and type(result) is dict and result.get("type") in _BATCH_RESULTS


def looks_anthropic(record: dict[str, Any]) -> bool:
    """A `messages` record with a top-level system or content blocks, and nothing only OpenAI has."""
    messages = record.get("messages")
    if type(messages) is not list or any(is_openai_shaped(m) for m in messages):
        return False
    if "system" in record or record.get("schemaVersion") == "bedrock-conversation-2024":
        return True
    return any(
        type(m) is dict
        and type(m.get("content")) is list
        and any(type(b) is dict and b.get("type") in _BLOCK_TYPES for b in m["content"])
        for m in messages
    )


def _looks(record: dict[str, Any]) -> bool:
    return looks_anthropic(record) or is_response(record) or _is_batch_result(record)


def _hint(head: bytes) -> bool:
    if _ANSWER_HINT.match(head.removeprefix(BOM)) is not None:
        return True
    return b'"messages"' in head and _BLOCK_HINT.search(head) is not None and b'"tool_calls"' not in head


importer = RecordImporter(name="anthropic", convert=convert, looks=_looks, hint=_hint)
