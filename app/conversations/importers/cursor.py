"""Cursor's chats in its own database (`User/globalStorage/state.vscdb`, SQLite): the key-value table
`cursorDiskKV` holds each chat (Composer, Agent or Ask) as `composerData:<composer id>` and each message as
`bubbleId:<composer id>:<bubble id>`.

A composer `{composerId, name, createdAt, fullConversationHeadersOnly: [{bubbleId, type}], ...}` lists its
messages in order (older versions kept them inline as `conversation`). A bubble `{type, text, thinking,
toolFormerData, ...}` is the person's (`type` 1) or the model's (`type` 2): its `text`, its `thinking.text` as a
thinking block, a tool call (`toolFormerData`: `name`, `rawArgs`, `result`, `status`) as a tool call and its
result. The composer's id is the external id, its `name` the title. A composer without a prompt and an answer
(a new empty tab) is skipped. The database is read from a read-only copy (see `_sqlite`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._records import as_object
from ._sqlite import columns, is_sqlite, opened
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import FileFormatError, ParsedConversation, ParseResult, RecordError, Skipped
from .openai import parse_arguments

_NO_TALK = "Cursor chat without a prompt and an answer"
_USER, _ASSISTANT = 1, 2


def _json(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode()
    return orjson.loads(value) if type(value) is str and value else None


def _bubbles(connection: sqlite3.Connection, composer_id: str) -> dict[str, dict[str, Any]]:
    """The composer's bubbles by id (a key range, not LIKE: ids may hold `_`)."""
    prefix = f"bubbleId:{composer_id}:"
    found: dict[str, dict[str, Any]] = {}
    for key, value in connection.execute(
        "SELECT key, value FROM cursorDiskKV WHERE key >= ? AND key < ?", (prefix, prefix + "\U0010ffff")
    ):
        bubble = as_object(_json(value))
        found[key[len(prefix) :]] = bubble
    return found


def _add(builder: TurnBuilder, bubble: dict[str, Any]) -> None:
    kind, text = bubble.get("type"), bubble.get("text")
    text = text if type(text) is str else ""
    if kind == _USER:
        builder.user(text)
        return
    if kind != _ASSISTANT:
        return
    thinking = as_object(bubble.get("thinking")).get("text")
    if type(thinking) is str:
        builder.thinking(thinking)
    builder.text(text)
    tool = as_object(bubble.get("toolFormerData"))
    if type(tool.get("name")) is str:
        call_id = tool.get("toolCallId") or bubble.get("bubbleId")
        builder.block(tool_use(call_id, tool["name"], parse_arguments(tool.get("rawArgs"))))
        if tool.get("result") is not None:
            result = tool["result"]
            builder.block(tool_result(call_id, result if type(result) is str else orjson.dumps(result).decode(),
                                      tool.get("status") == "error"))  # fmt: skip


def _composer(connection: sqlite3.Connection, data: dict[str, Any]) -> ParseResult:
    composer_id = data.get("composerId")
    if type(composer_id) is not str:
        return RecordError("composerData: no composerId")
    inline = data.get("conversation")
    if type(inline) is list and inline:
        ordered = [as_object(bubble) for bubble in inline]
    else:
        stored = _bubbles(connection, composer_id)
        headers = data.get("fullConversationHeadersOnly")
        order = [as_object(h).get("bubbleId") for h in headers] if type(headers) is list else list(stored)
        ordered = [stored[b] for b in order if type(b) is str and b in stored]
    builder = TurnBuilder()
    for bubble in ordered:
        _add(builder, bubble)
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_NO_TALK)
    name = data.get("name")
    metadata = {
        key: data[key] for key in ("createdAt", "lastUpdatedAt") if type(data.get(key)) in (int, float)
    }
    return ParsedConversation(
        external_id=composer_id,
        turns=turns,
        title=name if type(name) is str and name.strip() else prompt_title(turns[0].text),
        metadata=metadata,
        dropped=dict(builder.dropped),
    )


class CursorImporter:
    name = "cursor"

    def sniff(self, head: bytes, filename: str) -> bool:
        return is_sqlite(head) and b"cursorDiskKV" in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        with opened(stream, filename) as connection:
            if not {"key", "value"} <= columns(connection, "cursorDiskKV"):
                raise FileFormatError("expected Cursor's cursorDiskKV table (key, value)")
            found = False
            rows = connection.execute(
                "SELECT key, value FROM cursorDiskKV WHERE key >= 'composerData:' AND key < 'composerData;'"
            ).fetchall()
            for key, value in rows:
                found = True
                try:
                    data = _json(value)
                except (orjson.JSONDecodeError, UnicodeDecodeError):
                    yield RecordError(f"{key[:80]}: not JSON")
                    continue
                try:
                    yield _composer(connection, as_object(data))
                except (orjson.JSONDecodeError, UnicodeDecodeError):
                    yield RecordError(f"{key[:80]}: a message of the chat is not JSON")
            if not found:
                yield Skipped("Cursor database without chats")


importer = CursorImporter()
