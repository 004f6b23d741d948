"""Anthropic Messages JSONL: `{"system"?: str | blocks, "messages": [{"role", "content": str | blocks}]}`.

Text, thinking and tool_use blocks of an assistant message are kept as blocks; tool_result blocks (sent
by the user role in this API) attach to the assistant turn they answer. Images, documents and redacted
thinking carry no reviewable text and are dropped. A JSON array of such records is read too.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ._json import BadRecord
from ._records import RecordImporter, expect, external_id, type_name
from ._turns import TurnBuilder, flatten, response_block, tool_result, tool_use
from .base import ParsedConversation
from .openai import is_openai_shaped

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_BLOCK_TYPES = ("text", "thinking", "redacted_thinking", "tool_use", "tool_result", "image", "document")
_BLOCK_HINT = re.compile(rb'"type"\s*:\s*"(?:tool_use|tool_result|thinking)"')


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


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    system = record.get("system")
    if system is not None:
        if type(system) is not str and type(system) is not list:
            raise BadRecord(f"system: expected a string or a list of blocks, got {type_name(system)}")
        builder.system(flatten(system))
    for i, message in enumerate(expect(record.get("messages"), list, "messages")):
        where = f"messages[{i}]"
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
            raise BadRecord(
                f"{where}.content: expected a string or a list of blocks, got {type_name(content)}"
            )
    title = record.get("title")
    return builder.conversation(external_id(record, fallback), title=title if type(title) is str else None)


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


importer = RecordImporter(
    name="anthropic",
    convert=_convert,
    looks=looks_anthropic,
    hint=lambda head: (
        b'"messages"' in head and _BLOCK_HINT.search(head) is not None and b'"tool_calls"' not in head
    ),
)
