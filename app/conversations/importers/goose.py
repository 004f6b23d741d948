"""Block's Goose sessions: its database (`~/.local/share/goose/sessions/sessions.db`, SQLite: `sessions` and their
`messages`, each message's contents as `content_json`) and its earlier file store (`sessions/<yyyymmdd_hhmmss>
.jsonl`: the first line is the session's metadata, `working_dir`, `description`, token counts, each later line a
message `{id, role, created, content: [...]}`). In the database, scratch runs (`session_type` hidden) and
sub-agent sessions are skipped with that reason; a session's name or description is its title.

Content items are tagged in camelCase: `text`, `thinking` / `redactedThinking`, `toolRequest` (`id`,
`toolCall: {status, value: {name, arguments}}`, or the error it failed with) and `toolResponse` (`id`,
`toolResult: {status, value}`, the value a list of contents or `{content, isError}`), sent back in a `user`
message; images are counted as dropped. The file is one conversation: its description is the title, its name
the external id, the working folder metadata.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath
from typing import IO, Any

import orjson

from ._json import BadRecord
from ._records import as_object, head_records, object_lines, peekable, type_name
from ._sqlite import MAGIC, by_owner, columns, is_sqlite, opened
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import FileFormatError, ParsedConversation, ParseResult, RecordError, Skipped

_META_KEYS = ("working_dir", "description", "message_count")
_NO_TALK = "Goose session without a prompt and an answer"
# Session types of `sessions.db` that are not a person's chat.
_SKIPPED_TYPES = {
    "hidden": "Goose scratch run (goose run --no-session)",
    "subagent": "Goose sub-agent session (the agent talking to itself)",
}


def _is_metadata(record: dict[str, Any]) -> bool:
    return "working_dir" in record and "message_count" in record and "role" not in record


def _is_message(record: dict[str, Any]) -> bool:
    content = record.get("content")
    return (
        record.get("role") in ("user", "assistant")
        and type(record.get("created")) is int
        and type(content) is list
        and any(type(c) is dict and c.get("type") in ("text", "toolRequest", "toolResponse") for c in content)
    )


def _result_text(result: Any) -> tuple[str, bool]:
    """A tool response's text and whether it failed."""
    if type(result) is not dict:
        return "", True
    if result.get("status") != "success":
        return flatten(result.get("error") or result.get("value")), True
    value = result.get("value")
    if type(value) is dict:  # newer: {content, isError}
        return flatten(value.get("content")), value.get("isError") is True
    return flatten(value), False


def _add(builder: TurnBuilder, message: dict[str, Any]) -> None:
    role = message.get("role")
    if role not in ("user", "assistant"):
        got = repr(role[:40]) if type(role) is str else type_name(role)
        raise BadRecord(f'role: expected "user" or "assistant", got {got}')
    content = message.get("content")
    if type(content) is not list:
        raise BadRecord(f"content: expected a list, got {type_name(content)}")
    for item in content:
        kind = item.get("type") if type(item) is dict else None
        if kind == "text" and type(item.get("text")) is str:
            builder.say(str(role), item["text"])
        elif kind == "thinking" and role == "assistant":
            builder.thinking(item.get("thinking") if type(item.get("thinking")) is str else "")
        elif kind == "toolRequest":
            call = as_object(item.get("toolCall"))
            value = as_object(call.get("value"))
            builder.block(tool_use(item.get("id"), value.get("name"), value.get("arguments")))
        elif kind == "toolResponse":
            text, failed = _result_text(item.get("toolResult"))
            builder.block(tool_result(item.get("id"), text, is_error=failed))
        elif kind in ("image", "redactedThinking"):
            builder.dropped[str(kind)] += 1


def _from_database(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """`sessions.db`: every session's messages (`content_json`, the same contents) in order."""
    with opened(stream, filename) as connection:
        if not {"session_id", "role", "content_json"} <= columns(connection, "messages"):
            raise FileFormatError(
                "expected Goose's sessions and messages tables (session_id, role, content_json)"
            )
        found = columns(connection, "sessions")
        kind = "session_type" if "session_type" in found else "NULL"
        names: list[str] = [name for name in ("name", "description") if name in found] or ["NULL"]
        folder = "working_dir" if "working_dir" in found else "NULL"
        sessions = {
            row[0]: row[1:]
            for row in connection.execute(f"SELECT id, {kind}, {', '.join(names)}, {folder} FROM sessions")
        }
        query = "SELECT session_id, role, content_json FROM messages ORDER BY session_id, id"
        for session_id, rows in by_owner(connection, query):
            session_type, *titles, working_dir = sessions.pop(session_id, (None, None, None))
            yield _session(str(session_id), session_type, titles, working_dir, rows)
        for session_type, *_ in sessions.values():  # sessions without a message
            yield Skipped(_SKIPPED_TYPES.get(session_type, _NO_TALK))


def _session(
    session_id: str, session_type: Any, titles: list[Any], working_dir: Any, rows: list[tuple[Any, ...]]
) -> ParseResult:
    if session_type in _SKIPPED_TYPES:
        return Skipped(_SKIPPED_TYPES[session_type])
    builder = TurnBuilder()
    try:
        for role, content in rows:
            _add(builder, {"role": role, "content": orjson.loads(content)})
    except (BadRecord, orjson.JSONDecodeError) as exc:
        return RecordError(f"session {session_id}: {exc}")
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_NO_TALK)
    title = next((t for t in titles if type(t) is str and t.strip()), None)
    return ParsedConversation(
        external_id=session_id,
        turns=turns,
        title=title or prompt_title(turns[0].text),
        metadata={"working_dir": working_dir} if type(working_dir) is str and working_dir else {},
        dropped=dict(builder.dropped),
    )


class GooseImporter:
    name = "goose"

    def sniff(self, head: bytes, filename: str) -> bool:
        if is_sqlite(head):
            return b"content_json" in head and b"working_dir" in head
        records = head_records(head)
        return bool(records) and _is_metadata(records[0]) and (len(records) == 1 or _is_message(records[1]))

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        if is_sqlite(buffered.peek(len(MAGIC))):
            yield from _from_database(buffered, filename)
            return
        builder = TurnBuilder()
        metadata: dict[str, Any] = {}
        for entry in object_lines(buffered):
            if isinstance(entry, RecordError):
                yield entry
                continue
            number, record = entry
            if number == 1 and _is_metadata(record):
                metadata = {key: record[key] for key in _META_KEYS if type(record.get(key)) in (str, int)}
                continue
            try:
                _add(builder, record)
            except BadRecord as exc:
                yield RecordError(str(exc), line=number)
        turns = builder.finish(complete=False)
        if len({turn.role for turn in turns}) < 2:
            yield Skipped(_NO_TALK)
            return
        description = metadata.pop("description", None)
        yield ParsedConversation(
            external_id=PurePath(filename.replace("\\", "/")).stem,
            turns=turns,
            title=description if type(description) is str and description else prompt_title(turns[0].text),
            metadata=metadata,
            line=1,
            dropped=dict(builder.dropped),
        )


importer = GooseImporter()
