"""oterm, the terminal client for Ollama (`~/.local/share/oterm/store.db`, `~/Library/Application Support/oterm/`
on macOS, or `$OTERM_DATA_DIR`): an SQLite database with `chat(id, name, model, system, provider, parameters,
tools, thinking)` and `message(id, chat_id, author, text, images)`.

The shape was read from oterm's store (`src/oterm/store/store.py`) and its upgrades (`store/upgrades/`): messages
are in id order (no times are stored), `author` is `user` or `assistant` (`me` and `ollama` before 0.12). Every
chat is a conversation: its `system` the system prompt, its `name` the title (else the first prompt), its model
and provider the metadata; images attached to a prompt (`images`, a JSON list) are counted as dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from ._json import BadRecord, decode
from ._sqlite import by_owner, columns, is_sqlite, opened
from ._turns import TurnBuilder, prompt_title
from .base import FileFormatError, ParsedConversation, ParseResult, Skipped

_ROLES = {"user": "user", "me": "user", "assistant": "assistant", "ollama": "assistant"}
_NO_TALK = "oterm chat without a prompt and an answer"


class OtermImporter:
    name = "oterm"

    def sniff(self, head: bytes, filename: str) -> bool:
        return (
            is_sqlite(head)
            and b'CREATE TABLE "chat"' in head
            and b'"author"' in head
            and b'"chat_id"' in head
        )

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        with opened(stream, filename) as connection:
            if not {"id", "chat_id", "author", "text"} <= columns(
                connection, "message"
            ) or "model" not in columns(connection, "chat"):
                raise FileFormatError("expected oterm's chat and message tables (chat_id, author, text)")
            chat_columns = columns(connection, "chat")
            fields = ", ".join(
                name if name in chat_columns else "NULL"
                for name in ("id", "name", "model", "system", "provider")
            )
            chats = {row[0]: row[1:] for row in connection.execute(f"SELECT {fields} FROM chat")}
            images = "images" if "images" in columns(connection, "message") else "NULL"
            query = f"SELECT chat_id, author, text, {images} FROM message ORDER BY chat_id, id"
            for chat_id, rows in by_owner(connection, query):
                yield _conversation(str(chat_id), chats.pop(chat_id, (None, None, None, None)), rows)
            for _ in chats:  # chats without a message
                yield Skipped(_NO_TALK)


def _conversation(
    chat_id: str, chat: tuple[Any, ...], rows: list[tuple[Any, ...]]
) -> ParsedConversation | Skipped:
    name, model, system, provider = chat
    builder = TurnBuilder()
    if type(system) is str:
        builder.system(system)
    for author, text, images in rows:
        role = _ROLES.get(author) if type(author) is str else None
        if role is None:
            builder.dropped[f"{author} message"] += 1
            continue
        builder.say(role, text if type(text) is str else "")
        builder.dropped["image"] += _count(images)
    turns = builder.finish(complete=False)
    if len({turn.role for turn in turns}) < 2:
        return Skipped(_NO_TALK)
    metadata = {
        key: value
        for key, value in (("model", model), ("provider", provider))
        if type(value) is str and value
    }
    return ParsedConversation(
        external_id=chat_id,
        turns=turns,
        title=name if type(name) is str and name.strip() else prompt_title(turns[0].text),
        system_prompt=builder.system_prompt,
        metadata=metadata,
        dropped={kind: count for kind, count in builder.dropped.items() if count},
    )


def _count(images: Any) -> int:
    """How many images a message's `images` column (a JSON list) holds."""
    if type(images) is not str or images in ("", "[]"):
        return 0
    try:
        value = decode(images.encode())
    except BadRecord:
        return 0
    return len(value) if type(value) is list else 0


importer = OtermImporter()
