"""The ChatGPT data export `conversations.json`: a JSON array of `{title, mapping, current_node, ...}`.

The array is streamed item by item. A file that is one conversation as a bare object (one per file, as
some exporters write them), pretty-printed or on one line, reads as that conversation does in the array.
Each conversation is a tree in `mapping`; the thread shown in ChatGPT
is the path from `current_node` up to the root, so other branches (regenerated answers, edited prompts)
are not turns. Null messages, tool messages, messages addressed to a tool and non-text content (code,
browsing, images) are skipped. A reasoning model's `thoughts` messages become a thinking block of the
answer (each thought's summary and text); its `reasoning_recap` ("Thought for 12s") is a label and is left out. System messages, hidden or not, never become turns; their text, if any,
is the system prompt.

Voice conversations are `multimodal_text` messages whose parts are `audio_transcription` objects (`text`)
next to `audio_asset_pointer` ones: the transcription is the turn's text and the audio it transcribes is
not counted as lost. Every other part that cannot be kept (images, audio without a transcript) and every
user/assistant message of a non-text content type is counted by kind in the conversation's `dropped`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from . import deepseek
from ._json import BadRecord
from ._records import RecordImporter, expect, external_id
from ._turns import TurnBuilder, part_kind, thinking_block
from .base import ParsedConversation

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_TEXT_TYPES = ("text", "multimodal_text")
# Context the export carries as messages (custom instructions, memory): not conversation content.
_CONTEXT_TYPES = ("user_editable_context", "model_editable_context")
_AUDIO_POINTERS = ("audio_asset_pointer", "real_time_user_audio_video_asset_pointer")


def _thread(mapping: dict[str, Any], current: Any) -> list[dict[str, Any]]:
    """The messages from the root to `current`, following parent links (a cycle ends the walk)."""
    if type(current) is not str or current not in mapping:
        # No usable current_node: take the last leaf in the mapping, which the export writes last.
        leaves = [key for key, node in mapping.items() if type(node) is dict and not node.get("children")]
        if not leaves:
            raise BadRecord("current_node: missing, and the mapping has no leaf")
        current = leaves[-1]
    messages = []
    seen = set()
    while type(current) is str and current not in seen:
        seen.add(current)
        node = mapping.get(current)
        if type(node) is not dict:
            break
        message = node.get("message")
        if type(message) is dict:
            messages.append(message)
        current = node.get("parent")
    messages.reverse()
    return messages


def _text(message: dict[str, Any], dropped: Counter[str]) -> str | None:
    content = message.get("content")
    if type(content) is not dict:
        return None
    kind = content.get("content_type")
    if kind not in _TEXT_TYPES:
        if type(kind) is str and kind not in _CONTEXT_TYPES and message.get("recipient") in (None, "all"):
            dropped[kind[:40]] += 1
        return None
    parts = content.get("parts")
    if type(parts) is not list:
        return None
    transcribed = any(type(p) is dict and p.get("content_type") == "audio_transcription" for p in parts)
    texts = []
    for part in parts:
        if type(part) is str:
            texts.append(part)
        elif type(part) is dict and part.get("content_type") == "audio_transcription":
            if type(part.get("text")) is str:
                texts.append(part["text"])
        elif not (transcribed and type(part) is dict and part.get("content_type") in _AUDIO_POINTERS):
            dropped[part_kind(part)] += 1
    return "\n".join(texts)


def _reasoning(builder: TurnBuilder, message: dict[str, Any]) -> bool:
    """A reasoning model's message: `thoughts` become a thinking block of the answer (each thought's summary
    and text); `reasoning_recap` ("Thought for 12s") is a label. True when the message was one of them."""
    content = message.get("content")
    if type(content) is not dict or content.get("content_type") not in ("thoughts", "reasoning_recap"):
        return False
    if content["content_type"] == "reasoning_recap":
        return True
    thinking = thinking_block(content.get("thoughts"), ("summary", "content"))
    if thinking is not None:
        builder.block(thinking)
    return True


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    mapping = expect(record.get("mapping"), dict, "mapping")
    builder = TurnBuilder()
    for message in _thread(mapping, record.get("current_node")):
        author = message.get("author")
        role = author.get("role") if type(author) is dict else None
        if role not in ("user", "assistant", "system"):
            continue
        if role == "assistant" and _reasoning(builder, message):
            continue
        text = _text(message, builder.dropped)
        if text is None or message.get("recipient") not in (None, "all"):
            continue
        if role == "user":
            builder.user(text)
        elif role == "assistant":
            builder.text(text)
        elif role == "system":
            builder.system(text)
    title = record.get("title")
    metadata = {key: record[key] for key in ("create_time", "update_time") if record.get(key) is not None}
    return builder.conversation(
        external_id({"id": record.get("conversation_id", record.get("id"))}, fallback),
        title=title if type(title) is str else None,
        metadata=metadata,
    )


def _looks(record: dict[str, Any]) -> bool:
    """A `mapping` tree that is not DeepSeek's (its messages hold `fragments`, not an `author`)."""
    return type(record.get("mapping")) is dict and not deepseek.is_export(record)


# DeepSeek's export is a `mapping` tree too: its records are left to that importer, by name hint or not.
importer = dataclasses.replace(
    RecordImporter.by_key("chatgpt", _convert, key="mapping", kind=dict, sign=b'"author"'), looks=_looks
)
