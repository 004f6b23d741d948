"""Import batches, conversations and their turns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models_base import json_column, utcnow


def search_index(name: str, expression: str) -> Index:
    """A PostgreSQL full-text GIN index over `expression` (what the conversations search filters titles by)."""
    vector = text(f"to_tsvector('simple'::regconfig, {expression})")
    return Index(name, vector, postgresql_using="gin").ddl_if(dialect="postgresql")


class ImportBatch(SQLModel, table=True):
    """One run of the importer over one or more files, with truthful counts and state."""

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=200)
    # running | succeeded | failed (a killed run stays `running` until the next start marks it failed)
    status: str = Field(default="running", max_length=20, index=True)
    # The process running it (`host:pid`) and its last sign of life, so a killed run is found (app/liveness.py).
    owner: str | None = Field(default=None, max_length=200)
    heartbeat_at: datetime | None = None
    conversations_added: int = 0
    duplicates: int = 0
    pairs_detected: int = 0
    # Pairs that repeat an earlier pair (the same conversation from another export), linked, not queued.
    pairs_linked: int = 0
    error_count: int = 0
    # Known non-conversations skipped, by reason; content parts left out, by kind ({"image": 12}).
    skipped: dict[str, int] | None = Field(default=None, sa_column=json_column())
    dropped_parts: dict[str, int] | None = Field(default=None, sa_column=json_column())
    message: str | None = Field(default=None, max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class ImportFile(SQLModel, table=True):
    """A file read by a batch: its detected format, checksum and counts."""

    __tablename__ = "import_file"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True, ondelete="CASCADE")
    path: str = Field(max_length=1000)
    format: str | None = Field(default=None, max_length=40)
    sha256: str | None = Field(default=None, max_length=64)
    size_bytes: int = Field(default=0, sa_type=BigInteger)  # a JSONL file can be over 2 GiB
    conversations_added: int = 0
    duplicates: int = 0
    error_count: int = 0
    skipped: dict[str, int] | None = Field(default=None, sa_column=json_column())
    dropped_parts: dict[str, int] | None = Field(default=None, sa_column=json_column())


class ImportRecordError(SQLModel, table=True):
    """A rejected record: which file, where in it, and why, in words."""

    __tablename__ = "import_record_error"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True, ondelete="CASCADE")
    file: str = Field(max_length=1000)
    line: int | None = None
    json_path: str | None = Field(default=None, max_length=200)
    reason: str = Field(max_length=2000)


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_source_external_id", "source", "external_id"),
        # Newest first within one source (the source filters of the conversation and pair lists).
        Index("ix_conversation_source_id", "source", "id"),
        search_index("ix_conversation_title_search", "coalesce(title, '')"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=200)
    format: str = Field(max_length=40)
    file: str = Field(max_length=1000)
    external_id: str = Field(max_length=500)
    title: str | None = Field(default=None, max_length=500)
    system_prompt: str | None = None
    content_hash: str = Field(max_length=64, unique=True)
    turn_count: int = 0
    meta: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    batch_id: int | None = Field(default=None, foreign_key="import_batch.id", ondelete="SET NULL", index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Turn(SQLModel, table=True):
    """One user message or one whole assistant response; tool calls and thinking live in `blocks`.

    A text block there holds its length (`chars`), not its words, where the text is its text blocks joined
    by blank lines (`service.stored_blocks`); rows stored before hold the words too.
    """

    __tablename__ = "turn"
    # Its full-text index is the side table `turn_search` (PostgreSQL) or FTS5 (SQLite), both filled by
    # the `search_index` job behind the imports (app/conversations/search_index.py), not on insert.
    __table_args__ = (UniqueConstraint("conversation_id", "index"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    index: int
    role: str = Field(max_length=20)
    text: str
    blocks: list[dict[str, Any]] | None = Field(default=None, sa_column=json_column())
