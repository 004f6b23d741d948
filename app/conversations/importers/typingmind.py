"""TypingMind exports ("Export" in its app data settings): `<YYYYMMDD_HHMMSS>_typingmind_export.json`, or the
newer export folder / ZIP with `data.json`, `metadata.json` and chunk files of chats.

**Low confidence: the shape is reconstructed.** TypingMind is closed source and no export of its own was seen
whole; the shape comes from the tools that read or write it: big-AGI's importer (`src/modules/trade/server/
typingmind.ts`, its zod schema in three variants), K2daOz/chatgpt2typingmind (which reads a real 2026 export
folder: `data.json` listing `data.chats.chunks`), and TypingMind's documentation (10-character chat ids).
- The single file is `{data: {chats: [...], folders, userPrompts, userCharacters, installedPlugins, ...}}`;
  the chats are streamed item by item when they open the file (`{"data":{"chats":[…`), otherwise the file is
  read whole, within the record limit. Only `chats` is read: folders, prompts, characters, plugins and
  settings are not conversations.
- The newer export's `data.json` is `{data: {chats: {chunks: ["chunks/chats_part_1.json", ...]}, folders}}`:
  an index, skipped with its reason (a `data.json` holding the chats themselves, as some converters write it,
  is read like the single file). Each chunk file is a JSON array of chats, read chat by chat; the chunk file
  names are those of the converter, so a guess. `metadata.json` (each file's type, size and time) is skipped.

A chat is `{id, chatID, chatTitle, preview, messages, model, modelInfo, chatParams: {systemMessage, ...},
folderID?, createdAt, updatedAt, syncedAt?, deletedAt?, ...}`; a message `{uuid, role, content, createdAt,
model?, usage?}`, `content` a string or OpenAI-style parts (`text`, `image_url`). Messages are read in array
order, as every importer does: how TypingMind keeps a regenerated answer is not known. The messages are read as
OpenAI messages (`openai.add_messages`): `user` prompts (images counted as dropped), `assistant` answers
(`tool_calls` tool calls), `tool` messages results, `system` messages and `chatParams.systemMessage` the
system prompt. `chatID` (else `id`) is the external id, `chatTitle` (else the first prompt) the title;
`createdAt`/`updatedAt` (ISO strings, as written), the models and the `folderID` are metadata. A chat marked
deleted (`deletedAt`, kept for sync) and a chat without a prompt and an answer are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM, BadRecord
from ._records import (
    converted,
    expect,
    first_byte,
    iter_records,
    peekable,
    sniff_head,
    stream_items,
    stream_results,
    type_name,
)
from ._turns import TurnBuilder, flatten, prompt_title
from .base import ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord
from .openai import add_messages

_OPENING = re.compile(rb'\s*\{\s*"data"\s*:\s*\{\s*"chats"\s*:\s*(?=\[)')
_LONG_EXPORT = re.compile(rb'\s*\{\s*"data"\s*:\s*\{\s*"chats"\s*:\s*\[\s*\{')
_SKIP = "TypingMind chat without an answer"
_DELETED = "TypingMind chat marked deleted"
_NO_CHATS = "TypingMind export without chats"
_INDEX = "TypingMind export index (data.json): its chats are in the chunk files beside it"
_FILE_LIST = "TypingMind export file list (metadata.json), not conversations"


def _is_chat(record: dict[str, Any]) -> bool:
    return type(record.get("chatID")) is str and type(record.get("messages")) is list


def _is_file_list(record: dict[str, Any]) -> bool:
    """`metadata.json`: each file of the export with its type, size and time."""
    entry = record.get("data.json")
    return type(entry) is dict and "lastModified" in entry and "size" in entry


def _looks(record: dict[str, Any]) -> bool:
    data = record.get("data")
    if type(data) is not dict:
        return _is_chat(record) or _is_file_list(record)
    chats = data.get("chats")
    if type(chats) is dict:
        return type(chats.get("chunks")) is list
    if type(chats) is not list:
        return False
    if not chats:
        return "folders" in data or "userPrompts" in data
    return type(chats[0]) is dict and _is_chat(chats[0])


def _hint(head: bytes) -> bool:
    stripped = head.removeprefix(BOM)
    if first_byte(stripped) == ord("{"):
        return _LONG_EXPORT.match(stripped) is not None
    return b'"chatID"' in stripped and b'"messages"' in stripped


class TypingMindImporter:
    name = "typingmind"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{[", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        items = stream_items(buffered, _OPENING, "$.data.chats")
        if items is None:
            yield from _unstreamed(buffered, filename)
            return
        yield from stream_results(
            items, lambda chat, where: _result(chat, where, f"{filename}:{where}"), _NO_CHATS
        )


def _unstreamed(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """A chunk file (chat by chat), the export's index or file list, or an export whose chats do not open the
    file (read whole); a file holding one chat as a bare object reads the same."""
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
            continue
        value, base = record.value, record.json_path or "$"
        results = list(_record_results(value, base, f"{filename}:{record.line or base}", record.json_path))
        for result in results:
            if isinstance(result, ParsedConversation | RecordError):
                result.line = record.line
                if record.json_path is None and result.json_path == "$":
                    result.json_path = None  # a line of its own: the line number says where
            yield result


def _record_results(value: Any, base: str, fallback: str, json_path: str | None) -> Iterator[ParseResult]:
    """What one record holds: the chats of an export, a chat (a chunk file's item, or the file's object), or
    nothing of interest (the index, the file list)."""
    data = value.get("data") if type(value) is dict else None
    if data is None:
        if type(value) is dict and _is_file_list(value):
            yield Skipped(_FILE_LIST)
            return
        result = _result(value, base, fallback)
        if isinstance(result, RecordError) and json_path == "$" and not _is_chat(value):
            result.reason = f"the file's JSON object is not a TypingMind chat or export: {result.reason}"
        yield result
        return
    chats = data.get("chats") if type(data) is dict else None
    if type(chats) is dict and type(chats.get("chunks")) is list:
        yield Skipped(_INDEX)
        return
    if type(chats) is not list:
        reason = (
            f"data.chats: expected the list of chats, got {type_name(chats)}"
            if type(data) is dict
            else f"data: expected an object, got {type_name(data)}"
        )
        yield RecordError(reason, json_path=json_path)
        return
    if not chats:
        yield Skipped(_NO_CHATS)
    for i, chat in enumerate(chats):
        yield _result(chat, f"{base}.data.chats[{i}]", f"{fallback}.data.chats[{i}]")


def _result(value: Any, where: str, fallback: str) -> ParseResult:
    return converted(_convert, value, where, fallback)


def _convert(chat: Any, fallback: str) -> ParsedConversation:
    if type(chat) is not dict:
        raise BadRecord(f"expected a chat object, got {type_name(chat)}")
    if chat.get("deletedAt") is not None:
        raise SkipRecord(_DELETED)
    builder = TurnBuilder()
    params = chat.get("chatParams")
    system = params.get("systemMessage") if type(params) is dict else None
    if type(system) is str:
        builder.system(system)
    messages: list[Any] = expect(chat.get("messages"), list, "messages")
    add_messages(builder, messages, "messages")
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_SKIP)
    title = chat.get("chatTitle")
    if type(title) is not str or not title.strip():
        title = _first_prompt(messages)
    return builder.conversation(_external_id(chat, fallback), title=title, metadata=_metadata(chat, messages))


def _first_prompt(messages: list[Any]) -> str | None:
    for message in messages:
        if type(message) is dict and message.get("role") == "user":
            text = flatten(message.get("content"))
            if text.strip():
                return prompt_title(text)
    return None


def _external_id(chat: dict[str, Any], fallback: str) -> str:
    for key in ("chatID", "id"):
        value = chat.get(key)
        if type(value) is str and value:
            return value
    return fallback


def _metadata(chat: dict[str, Any], messages: list[Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for key, name in (("createdAt", "created_at"), ("updatedAt", "updated_at"), ("folderID", "folder_id")):
        if type(chat.get(key)) is str and chat[key]:
            metadata[name] = chat[key]
    # The models that answered; else the chat's.
    models: list[str] = []
    for message in messages:
        model = message.get("model") if type(message) is dict and message.get("role") == "assistant" else None
        if type(model) is str and model and model not in models:
            models.append(model)
    if not models and type(chat.get("model")) is str and chat["model"]:
        models.append(chat["model"])
    if models:
        metadata["models"] = models
    return metadata


importer = TypingMindImporter()
