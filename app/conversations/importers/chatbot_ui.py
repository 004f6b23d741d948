"""Chatbot UI's export (mckaywrigley/chatbot-ui before its Supabase rewrite, "Export data":
`chatbot_ui_history.json`, later `chatbot_ui_history_<month>-<day>.json`): `{history, folders}`, from version 3
`{version, history, folders}` and from 4 with `prompts`.

Each item of `history` is a conversation `{id, name, messages: [{role, content}], model: {id, name, ...},
prompt, temperature, folderId}`: `prompt` is the system prompt, `name` the title, `id` the external id, the
model and temperature metadata. `history` is streamed when it opens the file (after `version`), else the file
is read whole; folders and saved prompts are not conversations and are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM, BadRecord
from ._records import (
    converted,
    expect,
    items_under,
    peekable,
    sniff_head,
    stream_items,
    stream_results,
    type_name,
)
from ._turns import TurnBuilder
from .base import ParsedConversation, ParseResult, SkipRecord
from .openai import add_messages

_OPENING = re.compile(rb'\s*\{\s*(?:"version"\s*:\s*\d+\s*,\s*)?"history"\s*:\s*(?=\[)')
_NO_HISTORY = "Chatbot UI export without conversations"
_NO_TALK = "Chatbot UI conversation without a prompt and an answer"


def _is_conversation(value: Any) -> bool:
    return (
        type(value) is dict
        and type(value.get("messages")) is list
        and "name" in value
        and ("model" in value or "prompt" in value or "folderId" in value)
    )


def _looks(record: dict[str, Any]) -> bool:
    history = record.get("history")
    if type(history) is not list or "folders" not in record:
        return False
    return not history or _is_conversation(history[0])


def _convert(chat: Any, fallback: str) -> ParsedConversation:
    if type(chat) is not dict:
        raise BadRecord(f"expected a conversation object, got {type_name(chat)}")
    builder = TurnBuilder()
    if type(chat.get("prompt")) is str:
        builder.system(chat["prompt"])
    add_messages(builder, expect(chat.get("messages"), list, "messages"), "messages")
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    model = chat.get("model")
    metadata: dict[str, Any] = {}
    if type(model) is dict and type(model.get("id")) is str:
        metadata["model"] = model["id"]
    if type(chat.get("temperature")) in (int, float):
        metadata["temperature"] = chat["temperature"]
    name = chat.get("name")
    chat_id = chat.get("id")
    return builder.conversation(
        str(chat_id) if type(chat_id) in (str, int) and chat_id != "" else fallback,
        title=name if type(name) is str and name.strip() else None,
        metadata=metadata,
    )


class ChatbotUiImporter:
    name = "chatbot-ui"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(
            head,
            opener=b"{",
            looks=_looks,
            hint=lambda h: _OPENING.match(h.removeprefix(BOM)) is not None and b'"messages"' in h,
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        items = stream_items(buffered, _OPENING, "$.history")
        if items is not None:
            yield from stream_results(
                items,
                lambda chat, where: converted(_convert, chat, where, f"{filename}:{where}"),
                _NO_HISTORY,
            )
            return
        yield from items_under(
            buffered, filename, "history", _convert, empty=_NO_HISTORY, noun="conversations"
        )


importer = ChatbotUiImporter()
