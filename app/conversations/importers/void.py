"""Void, the open-source AI code editor (a VS Code fork): its chats in the application storage,
`~/.config/Void/User/globalStorage/state.vscdb` (macOS `~/Library/Application Support/Void/...`, Windows
`%APPDATA%\\Void\\...`), an SQLite database whose `ItemTable` holds `void.chatThreadStorageII` (earlier
`void.chatThreadStorageI`): the JSON of `{thread id: thread}`.

The shape was read from Void's chat thread service and types (`chatThreadServiceTypes.ts`, `storageKeys.ts`): a
thread is `{id, createdAt, lastModified, messages, state, ...}` and its messages are
- `user`: `content` (what the model was sent, with the selected code) and `displayContent` (what the person
  typed, read here), `selections` (files and code added as context: counted as dropped);
- `assistant`: `displayContent`, and `reasoning` (a thinking block);
- `tool`: a tool's `name`, `params`, `content` (what the model was given back) and `type` (`success`,
  `tool_error`, `rejected`, ...): a tool call and its result, an error unless it succeeded;
- `checkpoint` (file snapshots) and `interrupted_streaming_tool`: left out.

Every thread is a conversation: its id the external id, the first prompt the title, its times the metadata.
Other storage of the editor (settings, the VS Code state beside the chats) is not read. A database from a later
Void whose threads are under another key than these is one clear error naming the keys looked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import orjson

from ._json import BadRecord, decode
from ._records import converted, type_name
from ._sqlite import columns, is_sqlite, opened
from ._turns import TurnBuilder, flatten, prompt_title, tool_result, tool_use
from .base import FileFormatError, ParsedConversation, ParseResult, RecordError, SkipRecord

_KEYS = ("void.chatThreadStorageII", "void.chatThreadStorageI")
_NO_TALK = "Void chat without a prompt and an answer"


class VoidImporter:
    name = "void"

    def sniff(self, head: bytes, filename: str) -> bool:
        if not (is_sqlite(head) and b"CREATE TABLE ItemTable" in head):
            return False
        return (
            b"void.chatThreadStorage" in head
            or "/void/user/globalstorage/" in "/" + filename.lower().replace("\\", "/")
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        with opened(stream, filename) as connection:
            if not {"key", "value"} <= columns(connection, "ItemTable"):
                raise FileFormatError("expected VS Code's ItemTable (key, value)")
            stored = dict(
                connection.execute("SELECT key, value FROM ItemTable WHERE key IN (?, ?)", _KEYS).fetchall()
            )
        key = next((key for key in _KEYS if key in stored), None)
        if key is None:
            raise FileFormatError(f"no Void chats in this database (looked for the keys {', '.join(_KEYS)})")
        value = stored[key]
        try:
            threads = decode(value if type(value) is bytes else str(value).encode())
        except BadRecord as exc:
            yield RecordError(f"{key}: {exc}", json_path="$")
            return
        if type(threads) is not dict:
            yield RecordError(
                f"{key}: expected an object of threads, got {type_name(threads)}", json_path="$"
            )
            return
        for thread_id, thread in threads.items():
            where = f"$[{orjson.dumps(key).decode()}][{orjson.dumps(thread_id).decode()}]"
            yield converted(_conversation, thread, where, str(thread_id))


def _conversation(thread: Any, fallback: str) -> ParsedConversation:
    if type(thread) is not dict:
        raise BadRecord(f"expected a thread object, got {type_name(thread)}")
    messages = thread.get("messages")
    if type(messages) is not list:
        raise BadRecord(f"messages: expected a list, got {type_name(messages)}")
    builder = TurnBuilder()
    for index, message in enumerate(messages):
        if type(message) is not dict:
            raise BadRecord(f"messages[{index}]: expected an object, got {type_name(message)}")
        role = message.get("role")
        if role == "user":
            shown = message.get("displayContent")
            selections = message.get("selections")
            if type(selections) is list and selections:
                builder.dropped["selection"] += len(selections)
            builder.user(flatten(shown if type(shown) is str and shown.strip() else message.get("content")))
        elif role == "assistant":
            reasoning = message.get("reasoning")
            if type(reasoning) is str:
                builder.thinking(reasoning)
            builder.text(flatten(message.get("displayContent")))
        elif role == "tool":
            name = message.get("name")
            builder.block(tool_use(None, name if type(name) is str else "tool", message.get("params")))
            if message.get("type") not in ("tool_request", "running_now"):
                failed = message.get("type") != "success"
                builder.block(tool_result(None, flatten(message.get("content")), failed))
        elif role == "interrupted_streaming_tool":
            builder.dropped["interrupted tool call"] += 1
        elif role != "checkpoint":
            got = type_name(role) if type(role) is not str else f'"{role}"'
            raise BadRecord(
                f'messages[{index}].role: expected "user", "assistant", "tool" or "checkpoint", got {got}'
            )
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        raise SkipRecord(_NO_TALK)
    thread_id = thread.get("id")
    first = next((turn.text for turn in builder.turns if turn.role == "user"), "")
    metadata = {key: thread[key] for key in ("createdAt", "lastModified") if type(thread.get(key)) is str}
    return builder.conversation(
        thread_id if type(thread_id) is str and thread_id else fallback,
        title=prompt_title(first) or None,
        metadata=metadata,
    )


importer = VoidImporter()
