"""BetterChatGPT (ztjhz/BetterChatGPT) exports: "Export" in its import/export menu (`<YYYY-MM-DD>.json`).

The shape comes from the app's source (`src/components/ImportExportChat/ExportChat.tsx` and `ImportChat.tsx`,
`src/utils/import.ts`, `src/types/chat.ts` and `export.ts`). Three shapes are read:
- the current export, `{chats, folders, version: 1}` (minified); the chats are streamed item by item when they
  open the file, as the app writes them, otherwise the file is read whole, within the record limit;
- the same with vision-era content (builds from 2024: every message's `content` a list of parts,
  `[{type: "text", text}, {type: "image_url", image_url: {url, detail}}]`, and `imageDetail` on the chat);
- the legacy export, a bare array of chats, which BetterChatGPT still imports (`isLegacyImport`).
  The `openai` reader used to take it (its chats hold `messages`); read here, it keeps its titles, folders
  and models.

A chat is `{id (uuid), title, messages: [{role, content}], config: {model, max_tokens, temperature, ...},
titleSet, folder?}`. There are no branches (regenerating replaces the last answer) and no timestamps. `user`
messages are prompts, `assistant` ones answers (images are counted as dropped); `system` messages (the default
system prompt first, and any the user added or switched a message to) are the system prompt. The chat `id`
is the external id, the `title` the title unless it is still the placeholder "New Chat" (then the first
prompt); the model of its `config` is metadata, and the folder: in the legacy array `folder` holds the
folder's name (`folder`), in the current export its id (`folder_id`: the names come after the chats, in
`folders`, which a streamed read has not reached). A chat without a prompt and an answer is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from ._json import BOM, BadRecord
from ._records import (
    converted,
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

_OPENING = re.compile(rb'\s*\{\s*"chats"\s*:\s*(?=\[)')
# A chat's opening as the app writes it (`generateDefaultChat`: id, title, then messages, `folder` after them or
# before), for a first chat longer than the head.
_STRING = rb'"(?:[^"\\]|\\.)*"'
_CHAT = (
    rb'\{\s*(?:"id"\s*:\s*"[0-9a-fA-F-]*"\s*,\s*)?"title"\s*:\s*' + _STRING + rb"\s*,\s*"
    rb'(?:"folder"\s*:\s*' + _STRING + rb"\s*,\s*)?"
    rb'"messages"\s*:\s*\[\s*(?:\]|\{\s*"role")'
)
_LONG_EXPORT = re.compile(rb'\s*\{\s*"chats"\s*:\s*\[\s*' + _CHAT)
_LONG_LEGACY = re.compile(rb"\s*\[\s*" + _CHAT)
_DEFAULT_TITLE = re.compile(r"New Chat(?: \d+)?")
_SKIP = "BetterChatGPT chat without an answer"
_NO_CHATS = "BetterChatGPT export without chats"


def _is_chat(record: dict[str, Any]) -> bool:
    """A chat: its title, messages and generation settings (`config`), which OpenAI records lack."""
    config = record.get("config")
    return (
        type(record.get("messages")) is list
        and type(record.get("title")) is str
        and type(config) is dict
        and ("model" in config or "temperature" in config)
    )


def _looks(record: dict[str, Any]) -> bool:
    chats = record.get("chats")
    if type(chats) is not list:
        return _is_chat(record)  # a legacy array's first chat
    if not chats:
        return "version" in record and "folders" in record
    return type(chats[0]) is dict and _is_chat(chats[0])


def _hint(head: bytes) -> bool:
    stripped = head.removeprefix(BOM)
    return (_LONG_EXPORT if first_byte(stripped) == ord("{") else _LONG_LEGACY).match(stripped) is not None


class BetterChatGptImporter:
    name = "betterchatgpt"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{[", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        items = stream_items(buffered, _OPENING, "$.chats")
        if items is None:
            yield from _unstreamed(buffered, filename)
            return
        yield from stream_results(
            items, lambda chat, where: _result(chat, where, f"{filename}:{where}"), _NO_CHATS
        )


def _unstreamed(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """A legacy array (chat by chat), or an export whose chats do not open the file (read whole); a file
    holding one chat as a bare object reads the same."""
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
            continue
        value, base = record.value, record.json_path or "$"
        chats = value.get("chats") if type(value) is dict else None
        if chats is None:
            # One chat: the file's object, or a line of its own.
            legacy = base.startswith("$[")  # an item of the legacy array
            result = _result(value, base, f"{filename}:{record.line or base}", legacy=legacy)
            if isinstance(result, RecordError) and record.json_path == "$" and not _is_chat(value):
                result.reason = (
                    f"the file's JSON object is not a BetterChatGPT chat or export: {result.reason}"
                )
            results = [result]
        elif type(chats) is not list:
            reason = f"chats: expected the list of chats, got {type_name(chats)}"
            yield RecordError(reason, line=record.line, json_path=record.json_path)
            continue
        else:
            if not chats:
                yield Skipped(_NO_CHATS)
            results = [
                _result(chat, f"{base}.chats[{i}]", f"{filename}:{record.line or base}.chats[{i}]")
                for i, chat in enumerate(chats)
            ]
        for result in results:
            if isinstance(result, ParsedConversation | RecordError):
                result.line = record.line
                if record.json_path is None and result.json_path == "$":
                    result.json_path = None  # a line of its own: the line number says where
            yield result


def _result(value: Any, where: str, fallback: str, *, legacy: bool = False) -> ParseResult:
    return converted(lambda chat, external: _convert(chat, external, legacy=legacy), value, where, fallback)


def _convert(chat: Any, fallback: str, *, legacy: bool) -> ParsedConversation:
    if type(chat) is not dict:
        raise BadRecord(f"expected a chat object, got {type_name(chat)}")
    messages = chat.get("messages")
    if type(messages) is not list:
        raise BadRecord(f"messages: expected a list, got {type_name(messages)}")
    builder = TurnBuilder()
    first_prompt: str | None = None
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if type(message) is not dict:
            raise BadRecord(f"{where}: expected a message object, got {type_name(message)}")
        content = message.get("content")
        if type(content) is not str and type(content) is not list:
            raise BadRecord(
                f"{where}.content: expected a string or a list of parts, got {type_name(content)}"
            )
        role = message.get("role")
        if role == "user":
            text = flatten(content, builder.dropped)
            if first_prompt is None and text.strip():
                first_prompt = prompt_title(text)
            builder.user(text)
        elif role == "assistant":
            builder.text(flatten(content, builder.dropped))
        elif role == "system":
            builder.system(flatten(content, builder.dropped))
        else:
            shown = f'"{role}"' if type(role) is str else type_name(role)
            raise BadRecord(f'{where}.role: expected "user", "assistant" or "system", got {shown}')
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_SKIP)
    title = chat.get("title")
    if type(title) is not str or not title.strip() or _DEFAULT_TITLE.fullmatch(title):
        title = first_prompt
    return builder.conversation(
        _external_id(chat, fallback), title=title, metadata=_metadata(chat, legacy=legacy)
    )


def _external_id(chat: dict[str, Any], fallback: str) -> str:
    value = chat.get("id")
    return value if type(value) is str and value else fallback


def _metadata(chat: dict[str, Any], *, legacy: bool) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    config = chat.get("config")
    model = config.get("model") if type(config) is dict else None
    if type(model) is str and model:
        metadata["models"] = [model]
    folder = chat.get("folder")
    if type(folder) is str and folder:
        metadata["folder" if legacy else "folder_id"] = folder
    return metadata


importer = BetterChatGptImporter()
