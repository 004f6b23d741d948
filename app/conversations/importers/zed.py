"""Zed's text threads (its assistant panel): `<Zed state folder>/text_threads/<summary> - <n>.zed.json`
(`conversations/` and `contexts/` in older versions), one conversation per file.

The shape comes from Zed's source (`SavedTextThread` in `assistant_text_thread`, version 0.4.0, written compactly
by `serde_json`): `{id, zed: "context", version, text, messages: [{id, start, metadata: {role, status,
timestamp}}], summary, slash_command_output_sections, thought_process_output_sections}`. The whole thread is
one `text`; each message starts at its `start` (a UTF-8 byte offset) and runs to the next message's, Zed putting
a line break between them. `role` is `user`, `assistant` or `system`; a message that is still empty (the
input box after the last answer) is no turn. The thread's `id` is the external id, its `summary` the title.
"""

from __future__ import annotations

from typing import Any

import orjson

from ._json import BadRecord
from ._records import RecordImporter, expect
from ._turns import TurnBuilder
from .base import ParsedConversation


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    data = expect(record.get("text"), str, "text").encode()
    messages = []
    for i, message in enumerate(expect(record.get("messages"), list, "messages")):
        where = f"messages[{i}]"
        start = expect(expect(message, dict, where).get("start"), int, f"{where}.start")
        metadata = expect(message.get("metadata"), dict, f"{where}.metadata")
        role = metadata.get("role")
        if role not in ("user", "assistant", "system"):
            got = orjson.dumps(role).decode()
            raise BadRecord(f'{where}.metadata.role: expected "user", "assistant" or "system", got {got}')
        if not 0 <= start <= len(data):
            raise BadRecord(f"{where}.start: {start} is outside the thread's text ({len(data)} bytes)")
        messages.append((start, role))
    messages.sort()
    builder = TurnBuilder()
    for k, (start, role) in enumerate(messages):
        end = messages[k + 1][0] if k + 1 < len(messages) else len(data)
        builder.say(role, data[start:end].decode(errors="replace").strip())
    summary = record.get("summary")
    identifier = record.get("id")
    return builder.conversation(
        identifier if type(identifier) is str and identifier else fallback,
        title=summary if type(summary) is str and summary else None,
        metadata={"version": record["version"]} if type(record.get("version")) is str else {},
    )


def _looks(record: dict[str, Any]) -> bool:
    return record.get("zed") == "context" and type(record.get("messages")) is list


importer = RecordImporter(
    name="zed",
    convert=_convert,
    looks=_looks,
    hint=lambda head: b'"zed":"context"' in head or b'"zed": "context"' in head,
    starts=b"{",
)
