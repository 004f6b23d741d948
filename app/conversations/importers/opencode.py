"""OpenCode sessions: its database (`~/.local/share/opencode/opencode.db`, SQLite: `session`, `message` and `part`
tables, each message's info and each part as `data` JSON), `opencode export <session id>` (`{info, messages: [{info, parts}], todos}`, the session,
each message's info and its parts), and the JSON storage OpenCode kept before its SQLite database
(`~/.local/share/opencode/storage/`: `session/<project>/<ses_…>.json`, `message/<ses_…>/<msg_…>.json` holding
each message's info, `part/<msg_…>/<prt_…>.json` holding its content).

A session file of the storage is read with the messages and parts filed under it in that folder (so the storage
is imported from disk, not from inside an archive); the message, part and project files are skipped with that
reason. Messages are put in order by their creation time, parts by their ids (OpenCode's ids sort by time).

Parts: `text` is what was typed or answered (`synthetic` text OpenCode added itself is left out), `reasoning`
a thinking block, `tool` a tool call (`tool`, `callID`, `state.input`) and its result (`state.output`, or
`state.error`), `file` an attachment (counted as dropped); step, snapshot, patch and agent markers carry no
text. The session's title is the title; its id the external id; its directory, version and the model metadata.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from ._frameworks import whole_value
from ._json import BadRecord, decode, too_large
from ._records import as_object, expect, first_byte, head_records, peekable, type_name
from ._sqlite import MAGIC, by_owner, columns, is_sqlite, opened
from ._turns import TurnBuilder, drop_unfinished_exchange, prompt_title, tool_result, tool_use
from .base import MAX_RECORD_BYTES, FileFormatError, ParsedConversation, ParseResult, RecordError, Skipped

_CUT = "session whose only answer was cut off (stopped after its preamble)"
_NO_TALK = "OpenCode session without a prompt and an answer"
_SUB_AGENT = "OpenCode sub-agent session (the agent talking to itself)"
# Ids name the folders a storage session's messages and parts are read from: nothing that could leave them.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")
_QUIET_PARTS = ("step-start", "step-finish", "snapshot", "patch", "agent", "retry", "compaction", "subtask")


def _is_session_info(value: Any) -> bool:
    return (
        type(value) is dict
        and type(value.get("id")) is str
        and value["id"].startswith("ses_")
        and type(value.get("time")) is dict
        and ("projectID" in value or "directory" in value)
    )


def _is_export(value: Any) -> bool:
    return type(value) is dict and _is_session_info(value.get("info")) and type(value.get("messages")) is list


def _add_part(builder: TurnBuilder, role: str, part: Any, where: str) -> None:
    if type(part) is not dict:
        raise BadRecord(f"{where}: expected an object, got {type_name(part)}")
    kind = part.get("type")
    if kind == "text":
        if part.get("synthetic") is True or part.get("ignored") is True:
            return
        builder.say(role, expect(part.get("text"), str, f"{where}.text"))
    elif kind == "reasoning" and role == "assistant":
        text = part.get("text")
        builder.thinking(text if type(text) is str else "")
    elif kind == "tool":
        state = as_object(part.get("state"))
        builder.block(tool_use(part.get("callID"), part.get("tool"), state.get("input")))
        if state.get("status") == "completed":
            builder.block(tool_result(part.get("callID"), state.get("output")))
        elif state.get("status") == "error":
            builder.block(tool_result(part.get("callID"), state.get("error"), is_error=True))
    elif kind == "file":
        builder.dropped["file"] += 1
    elif kind not in _QUIET_PARTS:
        builder.dropped[str(kind)] += 1


def conversation(
    info: dict[str, Any], messages: list[tuple[dict[str, Any], list[Any]]], *, json_path: str | None = None
) -> ParseResult:
    """The session's conversation from its info and its (message info, parts) in order."""
    builder = TurnBuilder()
    models = set()
    for i, (message, parts) in enumerate(messages):
        role = message.get("role")
        if role not in ("user", "assistant"):
            raise BadRecord(f'messages[{i}].info.role: expected "user" or "assistant", got {type_name(role)}')
        if type(message.get("modelID")) is str:
            models.add(message["modelID"])
        for j, part in enumerate(parts):
            _add_part(builder, str(role), part, f"messages[{i}].parts[{j}]")
    turns = builder.finish(complete=False)
    # A last answer stopped after its preamble (`MessageAbortedError`, or the session ended) is no answer.
    cut = drop_unfinished_exchange(turns, builder.dropped)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_CUT if cut else _NO_TALK)
    metadata = {key: info[key] for key in ("directory", "version") if type(info.get(key)) is str}
    if models:
        metadata["models"] = ", ".join(sorted(models))
    title = info.get("title")
    return ParsedConversation(
        external_id=info["id"],
        turns=turns,
        title=title if type(title) is str and title else prompt_title(turns[0].text),
        metadata=metadata,
        json_path=json_path,
        dropped=dict(builder.dropped),
    )


def _from_export(value: dict[str, Any]) -> ParseResult:
    messages = []
    for i, item in enumerate(value["messages"]):
        if type(item) is not dict:
            raise BadRecord(f"messages[{i}]: expected an object, got {type_name(item)}")
        info = expect(item.get("info"), dict, f"messages[{i}].info")
        messages.append((info, expect(item.get("parts"), list, f"messages[{i}].parts")))
    return conversation(value["info"], messages)


def _read_json(path: str) -> Any:
    with open(path, "rb") as handle:
        data = handle.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        raise BadRecord(f"{Path(path).name}: {too_large('file', len(data))}")
    return decode(data)


def _from_storage(info: dict[str, Any], session_path: str) -> ParseResult:
    """A storage session with its messages and parts, read from the folders beside `session/`."""
    storage = Path(session_path).parent.parent.parent
    if Path(session_path).parent.parent.name != "session" or not (storage / "message").is_dir():
        raise FileFormatError(
            "an OpenCode session file without the storage folder around it (message/ and part/): "
            "import the whole storage folder, or export the session with `opencode export`"
        )
    messages = []
    if not _SAFE_ID.fullmatch(info["id"]):
        raise BadRecord(f"id: not an OpenCode session id: {info['id'][:60]!r}")
    folder = storage / "message" / info["id"]
    for name in sorted(os.listdir(folder)) if folder.is_dir() else []:
        message = _read_json(str(folder / name))
        if (
            type(message) is not dict
            or type(message.get("id")) is not str
            or not _SAFE_ID.fullmatch(message["id"])
        ):
            raise BadRecord(f"{folder.name}/{name}: expected a message object with an OpenCode message id")
        part_folder = storage / "part" / message["id"]
        names = sorted(os.listdir(part_folder)) if part_folder.is_dir() else []
        parts = [_read_json(str(part_folder / part)) for part in names if part.endswith(".json")]
        created = message.get("time", {}).get("created") if type(message.get("time")) is dict else None
        messages.append((created if type(created) in (int, float) else 0, message["id"], message, parts))
    messages.sort(key=lambda m: (m[0], m[1]))
    return conversation(info, [(m[2], m[3]) for m in messages])


def _owned(rows: Iterator[tuple[Any, list[tuple[Any, ...]]]]) -> Callable[[str], list[tuple[Any, ...]]]:
    """The rows of each session in turn from a pass ordered by session (`_sqlite.by_owner`), asked for in the
    same order; sessions without rows get none, rows of unknown sessions are passed over."""
    pending = next(rows, None)

    def take(session_id: str) -> list[tuple[Any, ...]]:
        nonlocal pending
        while pending is not None and pending[0] < session_id:
            pending = next(rows, None)
        if pending is None or pending[0] != session_id:
            return []
        found, pending = pending[1], next(rows, None)
        return found

    return take


def _stored_messages(
    messages: list[tuple[Any, ...]], parts: list[tuple[Any, ...]]
) -> list[tuple[dict[str, Any], list[Any]]]:
    by_message: dict[str, list[Any]] = {}
    for message_id, data in parts:
        by_message.setdefault(message_id, []).append(orjson.loads(data))
    return [(as_object(orjson.loads(data)), by_message.get(message_id, [])) for message_id, data in messages]


def _from_database(stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
    """`opencode.db`: each session's messages and parts (their `data`, the same objects without their ids), in
    id order (OpenCode's ids sort by time); sub-agent sessions (`parent_id` set) are skipped. Sessions, messages
    and parts are each read in one pass ordered by session, not with a query per session."""
    with opened(stream, filename) as connection:
        if not {"id", "session_id", "data"} <= columns(connection, "part") or "data" not in columns(
            connection, "message"
        ):
            raise FileFormatError("expected OpenCode's session, message and part tables")
        found = columns(connection, "session")
        wanted = [c for c in ("title", "directory", "version") if c in found]
        parent = "parent_id" if "parent_id" in found else "NULL"
        # Session ids as text on every side, so the three passes sort alike (a damaged row may hold another type).
        select = ", ".join(["COALESCE(CAST(id AS TEXT), '')", parent, *wanted])
        owner = "COALESCE(CAST(session_id AS TEXT), '')"
        messages = _owned(by_owner(connection, f"SELECT {owner} AS s, id, data FROM message ORDER BY s, id"))
        parts = _owned(
            by_owner(connection, f"SELECT {owner} AS s, message_id, data FROM part ORDER BY s, id")
        )
        for row in connection.execute(f"SELECT {select} FROM session ORDER BY 1"):
            session_id, parent_id, *values = row
            session_messages, session_parts = messages(session_id), parts(session_id)
            if parent_id:
                yield Skipped(_SUB_AGENT)
                continue
            info = {"id": session_id, **dict(zip(wanted, values, strict=True))}
            try:
                yield conversation(info, _stored_messages(session_messages, session_parts))
            except (BadRecord, orjson.JSONDecodeError) as exc:
                yield RecordError(f"session {session_id}: {exc}")


class OpenCodeImporter:
    name = "opencode"

    def sniff(self, head: bytes, filename: str) -> bool:
        if is_sqlite(head):
            return (
                b"`part`" in head and b"`message`" in head and b"`session`" in head and b"session_id" in head
            )
        if first_byte(head) != ord("{"):
            return False
        records = head_records(head)
        if records:
            return _is_export(records[0]) or _is_session_info(records[0])
        return b'"info"' in head and b'"ses_' in head and b'"messages"' in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        if is_sqlite(buffered.peek(len(MAGIC))):
            yield from _from_database(buffered, filename)
            return
        for value in whole_value(buffered):
            if isinstance(value, RecordError):
                yield value
                continue
            try:
                if _is_export(value):
                    yield _from_export(value)
                elif _is_session_info(value):
                    if not os.path.isfile(filename):
                        raise FileFormatError(
                            "an OpenCode storage session inside an archive: unzip the storage folder and import "
                            "it from disk, or export the session with `opencode export`"
                        )
                    yield _from_storage(value, filename)
                else:
                    raise FileFormatError(
                        "expected an OpenCode export ({info, messages}) or storage session file"
                    )
            except BadRecord as exc:
                yield RecordError(str(exc))


importer = OpenCodeImporter()
