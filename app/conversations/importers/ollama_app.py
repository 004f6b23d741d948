"""Ollama's desktop app (macOS `~/Library/Application Support/Ollama/db.sqlite`, Windows
`%LOCALAPPDATA%\\Ollama\\db.sqlite`): an SQLite database with `chats(id, title, created_at)` and
`messages(id, chat_id, role, content, thinking, model_name, created_at, ...)`, tool calls in `tool_calls(message_id,
function_name, function_arguments, function_result)`.

Every chat is a conversation, its messages in id order (one pass over the table, chat by chat): `thinking` becomes a thinking block and a tool call with
its result a tool_use / tool_result pair of the answer; `system` messages the system prompt, `tool` messages
results. The chat's id is the external id, its title the title, the models that answered metadata. Columns the
app added later are not read, so later versions of the database read the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import IO, Any

from ._sqlite import by_owner, columns, is_sqlite, opened
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import FileFormatError, ParsedConversation, ParseResult, Skipped
from .openai import parse_arguments

_NEEDED = {"id", "chat_id", "role", "content"}
_NO_TALK = "Ollama app chat without a prompt and an answer"


def _tool_calls(connection: sqlite3.Connection) -> dict[int, list[tuple[Any, ...]]]:
    if not {"message_id", "function_name"} <= columns(connection, "tool_calls"):
        return {}
    calls: dict[int, list[tuple[Any, ...]]] = {}
    for row in connection.execute(
        "SELECT message_id, id, function_name, function_arguments, function_result FROM tool_calls ORDER BY id"
    ):
        calls.setdefault(row[0], []).append(row[1:])
    return calls


def _chat(
    builder: TurnBuilder, messages: list[tuple[Any, ...]], calls: dict[int, list[tuple[Any, ...]]]
) -> set[str]:
    models: set[str] = set()
    for message_id, role, content, thinking, model in messages:
        text = content if type(content) is str else ""
        if role == "user":
            builder.user(text)
        elif role == "assistant":
            if type(thinking) is str:
                builder.thinking(thinking)
            builder.text(text)
            for call_id, name, arguments, result in calls.get(message_id, ()):
                builder.block(tool_use(str(call_id), name, parse_arguments(arguments)))
                if result is not None:
                    builder.block(tool_result(str(call_id), result))
            if type(model) is str and model:
                models.add(model)
        elif role == "system":
            builder.system(text)
        elif role == "tool":
            builder.block(tool_result(None, text))
    return models


class OllamaAppImporter:
    name = "ollama-app"

    def sniff(self, head: bytes, filename: str) -> bool:
        return is_sqlite(head) and b"CREATE TABLE chats" in head and b"model_ollama_host" in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        with opened(stream, filename) as connection:
            found = columns(connection, "messages")
            if not found >= _NEEDED or "title" not in columns(connection, "chats"):
                raise FileFormatError(
                    "expected Ollama's chats and messages tables (id, chat_id, role, content)"
                )
            thinking = "thinking" if "thinking" in found else "NULL"
            model = "model_name" if "model_name" in found else "NULL"
            calls = _tool_calls(connection)
            chats = {
                chat_id: (title, created)
                for chat_id, title, created in connection.execute("SELECT id, title, created_at FROM chats")
            }
            # The app's messages table has no index on chat_id: read in one pass, chat by chat.
            query = (
                f"SELECT chat_id, id, role, content, {thinking}, {model} FROM messages ORDER BY chat_id, id"
            )
            for chat_id, rows in by_owner(connection, query):
                title, created = chats.pop(chat_id, (None, None))
                yield _conversation(str(chat_id), title, created, rows, calls)
            for _ in chats:  # chats without a message
                yield Skipped(_NO_TALK)


def _conversation(
    chat_id: str,
    title: Any,
    created: Any,
    rows: list[tuple[Any, ...]],
    calls: dict[int, list[tuple[Any, ...]]],
) -> ParsedConversation | Skipped:
    builder = TurnBuilder()
    models = _chat(builder, rows, calls)
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_NO_TALK)
    metadata: dict[str, Any] = {"models": sorted(models)} if models else {}
    if type(created) is str:
        metadata["created_at"] = created
    return ParsedConversation(
        external_id=chat_id,
        turns=turns,
        title=title if type(title) is str and title else prompt_title(turns[0].text),
        system_prompt=builder.system_prompt,
        metadata=metadata,
        dropped=dict(builder.dropped),
    )


importer = OllamaAppImporter()
