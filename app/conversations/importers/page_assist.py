"""Page Assist's backup (the browser extension for local models; Settings > "Export" writes
`page-assist-<ISO time>.json`): `{knowledge, chat, vector, prompts, oaiConfigs, nicknames, models, storageLocal,
storageSync}`, the chats under `chat` as `[{history, messages}]`.

`history` is the chat (`id`, `title`, `createdAt` in ms, `model_id`); each message `{id, role, content,
images, createdAt, modelName, ...}`, put in order by `createdAt`. An answer that opens with `<think>` has its
reasoning as a thinking block; images are counted as dropped; the sources a search brought are not read.
Knowledge bases, vectors and settings are not conversations. The chat's id is the external id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord
from ._records import as_object, items_under, sniff_head, type_name
from ._turns import TurnBuilder, split_thinking
from .base import ParsedConversation, ParseResult, SkipRecord

_KEYS = ("chat", "knowledge", "vector", "prompts")
_NO_TALK = "Page Assist chat without a prompt and an answer"
_NO_CHATS = "Page Assist backup without chats"


def _looks(record: dict[str, Any]) -> bool:
    return all(key in record for key in _KEYS) and type(record.get("chat")) is list


def _created(message: dict[str, Any]) -> float:
    created: Any = message.get("createdAt")
    return float(created) if type(created) in (int, float) else 0.0


def _convert(item: Any, fallback: str) -> ParsedConversation:
    if type(item) is not dict:
        raise BadRecord(f"expected a chat object, got {type_name(item)}")
    history = as_object(item.get("history"))
    messages = item.get("messages")
    if type(messages) is not list:
        raise BadRecord(f"messages: expected a list, got {type_name(messages)}")
    ordered = sorted((m for m in messages if type(m) is dict), key=_created)
    builder = TurnBuilder()
    models = set()
    for message in ordered:
        role, content = message.get("role"), message.get("content")
        text = content if type(content) is str else ""
        images = message.get("images")
        if type(images) is list and images:
            builder.dropped["image"] += len(images)
        if role == "assistant":
            thinking, text = split_thinking(text)
            builder.thinking(thinking or "")
            builder.text(text)
            if type(message.get("modelName")) is str and message["modelName"]:
                models.add(message["modelName"])
        elif role in ("user", "system"):
            builder.say(str(role), text)
        else:
            raise BadRecord(f'messages: role expected "user", "assistant" or "system", got {type_name(role)}')
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    chat_id, title = history.get("id"), history.get("title")
    metadata: dict[str, Any] = {"models": sorted(models)} if models else {}
    if type(history.get("createdAt")) in (int, float):
        metadata["created_at_ms"] = history["createdAt"]
    return builder.conversation(
        chat_id if type(chat_id) is str and chat_id else fallback,
        title=title if type(title) is str and title.strip() else None,
        metadata=metadata,
    )


class PageAssistImporter:
    name = "page-assist"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(
            head,
            opener=b"{",
            looks=_looks,
            hint=lambda h: b'"knowledge"' in h[:200] and b'"chat"' in h and b'"history_id"' in h,
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return items_under(stream, filename, "chat", _convert, empty=_NO_CHATS, noun="chats")


importer = PageAssistImporter()
