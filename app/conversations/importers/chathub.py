"""ChatHub's export (the browser extension, Settings > "Export data": `chathub.json`): the extension's storage,
`{sync, local, localStorage}`.

Chats are in `local`: `conversation:<bot>:<chat id>:messages` holds a chat's messages `{id, author, text,
image?, error?}` (`author` is `user` or the bot that answered), and `conversations:<bot>` lists the bot's chats
`{id, createdAt}`. Every chat is a conversation with the bot as metadata; a message that only reports an error
(`error` set, no text) is left out and counted as dropped, images too. Settings are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord
from ._records import as_object, converted, iter_records, sniff_head, type_name
from ._turns import TurnBuilder
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord

_CHAT_KEY = re.compile(r"conversation:([^:]+):([^:]+):messages")
_NO_TALK = "ChatHub chat without a prompt and an answer"
_NO_CHATS = "ChatHub export without chats"


def _looks(record: dict[str, Any]) -> bool:
    local = record.get("local")
    return (
        type(local) is dict
        and "sync" in record
        and any(type(key) is str and _CHAT_KEY.fullmatch(key) for key in local)
    )


def _convert(value: tuple[str, str, Any, Any], fallback: str) -> ParsedConversation:
    bot, chat_id, messages, created = value
    if type(messages) is not list:
        raise BadRecord(f"expected a list of messages, got {type_name(messages)}")
    builder = TurnBuilder()
    for i, message in enumerate(messages):
        if type(message) is not dict:
            raise BadRecord(f"[{i}]: expected a message object, got {type_name(message)}")
        text, author = message.get("text"), message.get("author")
        if message.get("image"):
            builder.dropped["image"] += 1
        if type(text) is not str or not text.strip():
            if message.get("error"):
                builder.dropped["error"] += 1
            continue
        if author == "user":
            builder.user(text)
        else:
            builder.text(text)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    metadata: dict[str, Any] = {"bot": bot}
    if type(created) in (int, float):
        metadata["created_at_ms"] = created
    return builder.conversation(f"{bot}:{chat_id}", metadata=metadata)


class ChatHubImporter:
    name = "chathub"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(
            head,
            opener=b"{",
            looks=_looks,
            hint=lambda h: b'"local"' in h and b'"sync"' in h and b'"conversation:' in h,
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            local = as_object(record.value).get("local")
            if type(local) is not dict:
                yield RecordError(f"local: expected the extension's stored data, got {type_name(local)}")
                continue
            found = False
            for key, messages in local.items():
                match = _CHAT_KEY.fullmatch(key)
                if match is None:
                    continue
                found = True
                bot, chat_id = match.groups()
                listed = local.get(f"conversations:{bot}")
                created = next(
                    (c.get("createdAt") for c in listed if type(c) is dict and c.get("id") == chat_id),
                    None,
                ) if type(listed) is list else None  # fmt: skip
                where = f"$.local[{key!r}]"
                yield converted(_convert, (bot, chat_id, messages, created), where, f"{filename}:{key}")
            if not found:
                yield Skipped(_NO_CHATS)


importer = ChatHubImporter()
