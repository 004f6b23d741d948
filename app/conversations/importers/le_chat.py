"""Mistral Le Chat export: one chat per file, `chat-<uuid>.json`, its attachments in `chat-<uuid>-files/`.

The shape was read from third-party converters (nexus-ai-chat-importer's Le Chat types and tests), not from
Mistral's documentation. The file is a bare array of messages, with no conversation wrapper and no title:
`{id, version, chatId, content, contentChunks, role, createdAt, files, reaction, ...}`. `role` is `user` or
`assistant`; `content` is the whole text, and `contentChunks` (null for plain messages) the answer's parts:
- `text` chunks are the text (consecutive chunks joined as they were streamed);
- `tool_call` chunks (`{id, name, publicArguments, publicResult, success, ...}`) a tool call, with its result
  when the export has one (a failure when `success` is false);
- `reference` chunks (only the numbers of sources the export does not hold) and `custom_element` chunks
  are counted as dropped.

Messages are not stored in order: they are sorted by `createdAt`. A message written twice under one `id` keeps
its highest `version`. How Le Chat stores a regenerated answer is not known: two or more answers in a row with
no prompt between them are read as regenerations and only the newest is kept (the others are counted in the
metadata as `regenerated_responses`). Files a user attached are counted as dropped (the images in `-files/`
are skipped by the folder walk). The first prompt is the title; the `chatId` (else the file name's uuid, else a
hash of the messages) is the external id.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import orjson

from ._json import BadRecord
from ._records import iter_records, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import ParseResult, RecordError, Skipped
from .openai import parse_arguments

_ROLES = ("user", "assistant")
_FILE_NAME = re.compile(r"chat-([0-9a-fA-F-]{36})\.json$")
_FILE_KINDS = {"image": "image", "document": "document"}


def _looks(record: dict[str, Any]) -> bool:
    return (
        type(record.get("chatId")) is str
        and record.get("role") in _ROLES
        and ("contentChunks" in record or "createdAt" in record)
    )


def _hint(head: bytes) -> bool:
    # A first message longer than the head: its id, version and chatId come before its content.
    return b'"chatId"' in head and (b'"contentChunks"' in head or b'"version"' in head)


class LeChatImporter:
    name = "le-chat"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"[", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        messages: dict[Any, tuple[float, int, dict[str, Any]]] = {}
        last = float("-inf")
        for index, record in enumerate(iter_records(stream)):
            if isinstance(record, RecordError):
                yield record
                continue
            try:
                message = _message(record.value)
            except BadRecord as exc:
                yield RecordError(str(exc), line=record.line, json_path=record.json_path)
                continue
            when = _millis(message.get("createdAt"))
            last = when if when is not None else last
            key = message.get("id") if type(message.get("id")) is str else index
            earlier = messages.get(key)
            if earlier is None or _version(message) >= _version(earlier[2]):
                messages[key] = (last, index, message)
        if messages:
            ordered = [message for _, _, message in sorted(messages.values(), key=lambda m: (m[0], m[1]))]
            yield _conversation(ordered, filename)


def _message(value: Any) -> dict[str, Any]:
    """A message, checked for what it must have: a role and its text."""
    if type(value) is not dict:
        raise BadRecord(f"expected a message object, got {type_name(value)}")
    role = value.get("role")
    if role not in _ROLES:
        shown = f'"{role}"' if type(role) is str else type_name(role)
        raise BadRecord(f'role: expected "user" or "assistant", got {shown}')
    content, chunks = value.get("content"), value.get("contentChunks")
    if content is not None and type(content) is not str:
        raise BadRecord(f"content: expected the text, got {type_name(content)}")
    if chunks is not None and type(chunks) is not list:
        raise BadRecord(f"contentChunks: expected a list of chunks, got {type_name(chunks)}")
    if content is None and chunks is None:
        raise BadRecord("content: expected the text, got null")
    return value


def _version(message: dict[str, Any]) -> int:
    version = message.get("version")
    return version if type(version) is int else 0


def _millis(value: Any) -> float | None:
    if type(value) is not str:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


def _answer(builder: TurnBuilder, message: dict[str, Any]) -> None:
    """An answer's chunks in order (or its `content` when it has no text chunk)."""
    chunks = message.get("contentChunks") or []
    text: list[str] = []
    wrote = False

    def flush() -> None:
        builder.text("".join(text).strip())
        text.clear()

    for chunk in chunks:
        kind = chunk.get("type") if type(chunk) is dict else None
        if kind == "text":
            if type(chunk.get("text")) is str:
                text.append(chunk["text"])
                wrote = True
        elif kind == "tool_call":
            flush()
            _tool(builder, chunk)
        elif type(kind) is str:
            builder.dropped[kind[:40]] += 1
        else:
            builder.dropped["unknown"] += 1
    if not wrote and type(message.get("content")) is str:
        text.append(message["content"])
    flush()


def _prompt(message: dict[str, Any]) -> str:
    """A prompt's text: its `content`, else its text chunks."""
    if type(message.get("content")) is str:
        return str(message["content"])
    chunks = message.get("contentChunks") or []
    return "".join(c["text"] for c in chunks if type(c) is dict and type(c.get("text")) is str)


def _tool(builder: TurnBuilder, chunk: dict[str, Any]) -> None:
    call_id = chunk.get("id")
    builder.block(tool_use(call_id, chunk.get("name"), parse_arguments(chunk.get("publicArguments"))))
    result = chunk.get("publicResult")
    if result is not None:
        text = result if type(result) is str else orjson.dumps(result).decode()
        builder.block(tool_result(call_id, text, chunk.get("success") is False))


def _external_id(messages: list[dict[str, Any]], filename: str) -> str:
    chat = next((m["chatId"] for m in messages if type(m.get("chatId")) is str and m["chatId"]), None)
    if chat is not None:
        return chat
    named = _FILE_NAME.search(filename.replace("\\", "/").rsplit("/", 1)[-1])
    if named is not None:
        return named.group(1)
    digest = hashlib.sha256()
    for message in messages:
        digest.update(orjson.dumps([message.get("role"), message.get("createdAt"), message.get("content")]))
    return f"le-chat-{digest.hexdigest()[:32]}"


def _conversation(messages: list[dict[str, Any]], filename: str) -> ParseResult:
    builder = TurnBuilder()
    title: str | None = None
    answer: dict[str, Any] | None = None
    regenerated = 0
    for message in messages:
        if message["role"] == "assistant":
            regenerated += answer is not None
            answer = message
            continue
        if answer is not None:
            _answer(builder, answer)
            answer = None
        text = _prompt(message)
        builder.user(text)
        if title is None and text.strip():
            title = prompt_title(text)
        files = message.get("files")
        for attached in files if type(files) is list else ():
            kind = attached.get("type") if type(attached) is dict else None
            builder.dropped[_FILE_KINDS.get(kind, "file") if type(kind) is str else "file"] += 1
    if answer is not None:
        _answer(builder, answer)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        return Skipped("Le Chat chat without an answer")
    metadata: dict[str, Any] = {"regenerated_responses": regenerated} if regenerated else {}
    return builder.conversation(_external_id(messages, filename), title=title, metadata=metadata)


importer = LeChatImporter()
