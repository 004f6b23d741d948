"""Charm's Crush (the coding agent; a project's `.crush/crush.db`): an SQLite database with `sessions(id,
parent_session_id, title, created_at, ...)` and `messages(id, session_id, role, parts, model, created_at, ...)`,
`parts` a JSON list of `{type, data}`.

Every session is a conversation, its messages in time order (one pass over the table, session by session): `text` parts are the text, `reasoning` a thinking
block, `tool_call` a tool call (`id`, `name`, `input` as JSON text) and a `tool` message's `tool_result` its
result (`content`, `is_error`); images and binary attachments are counted as dropped, `finish` marks carry
nothing. Sessions a session started for a sub-agent (`parent_session_id` set) are the agent talking to itself
and are skipped, like Claude Code's sidechains. The session's id is the external id, its title the title.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._records import as_object
from ._sqlite import by_owner, columns, is_sqlite, opened
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import FileFormatError, ParsedConversation, ParseResult, RecordError, Skipped
from .openai import parse_arguments

_NO_TALK = "Crush session without a prompt and an answer"
_SUB_AGENT = "Crush sub-agent session (the agent talking to itself)"


def _add(builder: TurnBuilder, role: str, parts: list[Any]) -> None:
    for part in parts:
        data = as_object(as_object(part).get("data"))
        kind = as_object(part).get("type")
        if kind == "text" and type(data.get("text")) is str:
            builder.say(role, data["text"])
        elif kind == "reasoning" and type(data.get("thinking")) is str:
            builder.thinking(data["thinking"])
        elif kind == "tool_call":
            builder.block(tool_use(data.get("id"), data.get("name"), parse_arguments(data.get("input"))))
        elif kind == "tool_result":
            builder.block(tool_result(data.get("tool_call_id"), data.get("content"), data.get("is_error")))
        elif kind in ("image_url", "binary"):
            builder.dropped["image" if kind == "image_url" else "attachment"] += 1


def _session(
    session_id: str, title: Any, rows: list[tuple[Any, ...]]
) -> ParsedConversation | RecordError | Skipped:
    builder = TurnBuilder()
    models = set()
    for message_id, role, parts, model in rows:
        try:
            decoded = orjson.loads(parts)
        except (orjson.JSONDecodeError, TypeError):
            return RecordError(f"session {session_id}: message {message_id}: parts is not JSON")
        _add(builder, str(role), decoded if type(decoded) is list else [])
        if role == "assistant" and type(model) is str and model:
            models.add(model)
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_NO_TALK)
    return ParsedConversation(
        external_id=session_id,
        turns=turns,
        system_prompt=builder.system_prompt,
        title=title if type(title) is str and title else prompt_title(turns[0].text),
        metadata={"models": sorted(models)} if models else {},
        dropped=dict(builder.dropped),
    )


class CrushImporter:
    name = "crush"

    def sniff(self, head: bytes, filename: str) -> bool:
        return is_sqlite(head) and b"CREATE TABLE sessions" in head and b"parts BLOB" in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        with opened(stream, filename) as connection:
            if not {"session_id", "role", "parts"} <= columns(connection, "messages"):
                raise FileFormatError(
                    "expected Crush's sessions and messages tables (session_id, role, parts)"
                )
            parent = "parent_session_id" if "parent_session_id" in columns(connection, "sessions") else "NULL"
            sessions = {
                session_id: (title, parent_id)
                for session_id, title, parent_id in connection.execute(
                    f"SELECT id, title, {parent} FROM sessions"
                )
            }
            query = "SELECT session_id, id, role, parts, model FROM messages ORDER BY session_id, created_at, rowid"
            for session_id, rows in by_owner(connection, query):
                title, parent_id = sessions.pop(session_id, (None, None))
                yield Skipped(_SUB_AGENT) if parent_id else _session(str(session_id), title, rows)
            for _, parent_id in sessions.values():  # sessions without a message
                yield Skipped(_SUB_AGENT if parent_id else _NO_TALK)


importer = CrushImporter()
