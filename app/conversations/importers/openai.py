"""OpenAI chat JSONL (the fine-tuning SFT format): one `{"messages": [...]}` per line.

System and developer messages become the system prompt. Assistant `tool_calls` become `tool_use` blocks
(arguments parsed from their JSON string when valid) and `role: tool` messages become `tool_result` blocks
of the current assistant turn. A JSON array of such records is read too.

The public chat logs in the same message shape are read as well: LMSYS-Chat-1M and WildChat hold the messages
under `conversation` (`{"conversation_id" or "conversation_hash", "model", "language", "conversation":
[{"role", "content", ...}]}`); their id becomes the external id, `model` and `language` the metadata, and the
per-message extras (moderation flags, hashed IPs) are left out.
"""

from __future__ import annotations

from typing import Any

import orjson

from ._json import BadRecord
from ._records import RecordImporter, expect, external_id, first_byte, has_top_key, type_name
from ._turns import TurnBuilder, flatten, tool_result, tool_use
from .base import ParsedConversation

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_SYSTEM_ROLES = ("system", "developer")
_TOOL_ROLES = ("tool", "function")
# Signs that a `messages` record is OpenAI-shaped rather than Anthropic-shaped.
_OPENAI_PART_TYPES = ("image_url", "input_audio", "file", "refusal")


def add_messages(builder: TurnBuilder, messages: Any, field: str) -> None:
    """Feed OpenAI-style messages to `builder`; raise BadRecord naming the first bad field."""
    for i, message in enumerate(expect(messages, list, field)):
        where = f"{field}[{i}]"
        expect(message, dict, where)
        role = message.get("role")
        content = message.get("content")
        if content is not None and type(content) is not str and type(content) is not list:
            raise BadRecord(
                f"{where}.content: expected a string or a list of parts, got {type_name(content)}"
            )
        if role == "user":
            builder.user(flatten(content, builder.dropped))
        elif role == "assistant":
            builder.text(flatten(content, builder.dropped))
            _add_tool_calls(builder, message, where)
        elif role in _SYSTEM_ROLES:
            builder.system(flatten(content))
        elif role in _TOOL_ROLES:
            builder.block(tool_result(message.get("tool_call_id"), content))
        else:
            got = orjson.dumps(role).decode()
            raise BadRecord(f'{where}.role: expected "system", "user", "assistant" or "tool", got {got}')


def _add_tool_calls(builder: TurnBuilder, message: dict[str, Any], where: str) -> None:
    calls = message.get("tool_calls")
    if calls is None:
        legacy = message.get("function_call")
        calls = [] if legacy is None else [{"function": legacy}]
    for j, call in enumerate(expect(calls, list, f"{where}.tool_calls")):
        function = expect(
            expect(call, dict, f"{where}.tool_calls[{j}]").get("function"),
            dict,
            f"{where}.tool_calls[{j}].function",
        )
        name = expect(function.get("name"), str, f"{where}.tool_calls[{j}].function.name")
        builder.block(tool_use(call.get("id"), name, parse_arguments(function.get("arguments"))))


def parse_arguments(value: Any) -> Any:
    """OpenAI sends arguments as a JSON string; keep the string when it is not a JSON object."""
    if type(value) is str:
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        return parsed if type(parsed) is dict else value
    return value


# What a chat log (LMSYS-Chat-1M, WildChat) says about its conversation, kept as metadata.
_LOG_FIELDS = ("model", "language")


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    meta = record.get("metadata")
    meta = meta if type(meta) is dict else {}
    if "messages" not in record and _is_chat_log(record):
        add_messages(builder, record["conversation"], "conversation")
        meta = {key: record[key] for key in _LOG_FIELDS if type(record.get(key)) is str} | meta
        hashed = record.get("conversation_hash")
        fallback = hashed if type(hashed) is str and hashed else fallback
    else:
        add_messages(builder, record.get("messages"), "messages")
    title = record.get("title", meta.get("title"))
    return builder.conversation(
        external_id(record, external_id(meta, fallback)),
        title=title if type(title) is str else None,
        metadata=meta,
    )


def _is_chat_log(record: dict[str, Any]) -> bool:
    """A chat log's record: its `conversation` is a list of messages that start with a role."""
    messages = record.get("conversation")
    return type(messages) is list and bool(messages) and type(messages[0]) is dict and "role" in messages[0]


def _looks(record: dict[str, Any]) -> bool:
    return type(record.get("messages")) is list or _is_chat_log(record)


def _hint(head: bytes) -> bool:
    """A head too short for one record: a `messages` or `conversation` key of the record, and a role."""
    if b'"role"' not in head:
        return False
    for needle in (b'"messages"', b'"conversation"'):
        if needle in head and (first_byte(head) != ord("{") or has_top_key(head, needle)):
            return True
    return False


def is_openai_shaped(message: Any) -> bool:
    """Whether one message carries something only the OpenAI format has (roles, tool calls, part types)."""
    if type(message) is not dict:
        return False
    if message.get("role") in _SYSTEM_ROLES or message.get("role") in _TOOL_ROLES:
        return True
    if "tool_calls" in message or "function_call" in message or "tool_call_id" in message:
        return True
    content = message.get("content")
    return type(content) is list and any(
        type(p) is dict and p.get("type") in _OPENAI_PART_TYPES for p in content
    )


importer = RecordImporter("openai", _convert, looks=_looks, hint=_hint)
