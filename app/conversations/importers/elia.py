"""Elia, a terminal chat client (`$XDG_DATA_HOME/elia/elia.sqlite`): an SQLite database created from its SQLModel
models, `chat(id, model, title, started_at, archived)`, `message(id, chat_id, role, content, timestamp, meta,
parent_id, model)` and `system_prompt(...)`.

The shape was read from Elia's models (`elia_chat/database/models.py`) and the code that writes them: each chat
opens with its system message, then the user's and the assistant's (litellm roles; `human` and `ai` in the early
versions). Every chat is a conversation, messages in id order: its title (else the first prompt) the title, the
models that answered and the start time the metadata; an archived chat is read too (`archived` in the metadata).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._sqlite import by_owner, columns, is_sqlite, opened
from ._turns import TurnBuilder, prompt_title
from .base import FileFormatError, ParsedConversation, ParseResult, Skipped

_ROLES = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant", "system": "system"}
_NO_TALK = "Elia chat without a prompt and an answer"


class EliaImporter:
    name = "elia"

    def sniff(self, head: bytes, filename: str) -> bool:
        return is_sqlite(head) and b"CREATE TABLE system_prompt" in head and b"archived BOOLEAN" in head

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        with opened(stream, filename) as connection:
            found = columns(connection, "message")
            if not {"id", "chat_id", "role", "content"} <= found or "id" not in columns(connection, "chat"):
                raise FileFormatError("expected Elia's chat and message tables (chat_id, role, content)")
            chat_columns = columns(connection, "chat")
            fields = ", ".join(
                name if name in chat_columns else "NULL" for name in ("id", "title", "started_at", "archived")
            )
            chats = {row[0]: row[1:] for row in connection.execute(f"SELECT {fields} FROM chat")}
            model = "model" if "model" in found else "NULL"
            query = f"SELECT chat_id, role, content, {model} FROM message ORDER BY chat_id, id"
            for chat_id, rows in by_owner(connection, query):
                yield _conversation(str(chat_id), chats.pop(chat_id, (None, None, None)), rows)
            for _ in chats:  # chats without a message
                yield Skipped(_NO_TALK)


def _conversation(
    chat_id: str, chat: tuple[Any, ...], rows: list[tuple[Any, ...]]
) -> ParsedConversation | Skipped:
    title, started, archived = chat
    builder = TurnBuilder()
    models: set[str] = set()
    for role, content, model in rows:
        speaker = _ROLES.get(role) if type(role) is str else None
        if speaker is None:
            builder.dropped[f"{role} message"] += 1
            continue
        builder.say(speaker, content if type(content) is str else "")
        if speaker == "assistant" and type(model) is str and model:
            models.add(model)
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_NO_TALK)
    metadata: dict[str, Any] = {"models": sorted(models)} if models else {}
    if type(started) is str:
        metadata["started_at"] = started
    if archived in (1, True):
        metadata["archived"] = True
    return ParsedConversation(
        external_id=chat_id,
        turns=turns,
        title=title if type(title) is str and title.strip() else prompt_title(turns[0].text),
        system_prompt=builder.system_prompt,
        metadata=metadata,
        dropped=dict(builder.dropped),
    )


importer = EliaImporter()
