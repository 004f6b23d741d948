"""Sourcegraph Cody's chat export (the chat history's "Export" button: `cody-chat-history-<time>.json`).

The shape was read from Cody's `downloadChatHistory` and its `SerializedChatTranscript` types, and checked against
its agent's `chat/export` snapshots: a JSON array of chats, `{id, chatTitle?, interactions, lastInteractionTimestamp}`,
each interaction `{humanMessage, assistantMessage}` whose messages are `{speaker, text, contextFiles?, intent?,
model?}`. Earlier versions exported the whole history object instead, `{chat: {<id>: chat}, input: [...]}`: its
`chat` values are read the same way.

Each chat is a conversation: its id the external id, `chatTitle` (else the first prompt) the title, the models the
metadata. Files and symbols added to a prompt as context (`contextFiles`) are counted as dropped; an interaction
whose answer never came (`assistantMessage` null, the last one of a stopped chat) keeps its prompt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._json import BadRecord
from ._records import converted, iter_records, sniff_head, type_name
from ._turns import TurnBuilder, flatten, prompt_title
from .base import ParsedConversation, ParseResult, RecordError, SkipRecord

_NO_TALK = "Cody chat without a prompt and an answer"


def _is_chat(value: Any) -> bool:
    return (
        type(value) is dict
        and type(value.get("interactions")) is list
        and "lastInteractionTimestamp" in value
    )


def _looks(record: dict[str, Any]) -> bool:
    chats = record.get("chat")
    return _is_chat(record) or (
        type(chats) is dict and "input" in record and all(_is_chat(chat) for chat in list(chats.values())[:3])
    )


def _hint(head: bytes) -> bool:
    return b'"interactions"' in head and b'"humanMessage"' in head and b'"speaker"' in head


class CodyImporter:
    name = "cody"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"[{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            where = record.json_path or "$"
            value = record.value
            if type(value) is dict and type(value.get("chat")) is dict and not _is_chat(value):
                for key, chat in value["chat"].items():  # the earlier export: the whole history object
                    at = f"{where}.chat[{orjson.dumps(key).decode()}]"
                    yield converted(_conversation, chat, at, f"{filename}:{at}")
            else:
                yield converted(_conversation, value, where, f"{filename}:{where}")


def _conversation(chat: Any, fallback: str) -> ParsedConversation:
    if type(chat) is not dict:
        raise BadRecord(f"expected a chat object, got {type_name(chat)}")
    interactions = chat.get("interactions")
    if type(interactions) is not list:
        raise BadRecord(f"interactions: expected a list, got {type_name(interactions)}")
    builder = TurnBuilder()
    models: set[str] = set()
    for index, interaction in enumerate(interactions):
        if type(interaction) is not dict:
            raise BadRecord(f"interactions[{index}]: expected an object, got {type_name(interaction)}")
        for field, role in (("humanMessage", "user"), ("assistantMessage", "assistant")):
            message = interaction.get(field)
            if message is None:
                continue
            if type(message) is not dict:
                raise BadRecord(
                    f"interactions[{index}].{field}: expected a message object, got {type_name(message)}"
                )
            context = message.get("contextFiles")
            if type(context) is list and context:
                builder.dropped["context_file"] += len(context)
            builder.say(role, flatten(message.get("text")))
            model = message.get("model")
            if role == "assistant" and type(model) is str and model:
                models.add(model)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    chat_id, title = chat.get("id"), chat.get("chatTitle")
    first = next((turn.text for turn in builder.turns if turn.role == "user"), "")
    return builder.conversation(
        chat_id if type(chat_id) is str and chat_id else fallback,
        title=title.strip() if type(title) is str and title.strip() else prompt_title(first) or None,
        metadata={"models": sorted(models)} if models else {},
    )


importer = CodyImporter()
