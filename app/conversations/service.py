"""Storing parsed conversations: content hashes, duplicate checks, turns, and detected pairs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.conversations.importers.base import ParsedConversation
from app.conversations.models import Conversation, ImportRecordError, Turn
from app.models_base import utcnow
from app.pairs.service import PAIR_TABLE, pair_rows_for

CONVERSATION_TABLE: Table = Conversation.__table__  # type: ignore[attr-defined]
TURN_TABLE: Table = Turn.__table__  # type: ignore[attr-defined]


def content_hash(conversation: ParsedConversation) -> str:
    """SHA-256 over the normalized turns, so key order and source formatting do not matter."""
    normalized = [
        (conversation.system_prompt or "").strip(),
        [(t.role, t.text.strip(), t.blocks or []) for t in conversation.turns],
    ]
    return hashlib.sha256(orjson.dumps(normalized, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(slots=True)
class StoreResult:
    added: int = 0
    duplicates: int = 0
    pairs: int = 0


@dataclass(frozen=True, slots=True)
class FileContext:
    batch_id: int
    source: str
    format: str
    file: str


def store_conversations(
    session: Session, *, context: FileContext, conversations: Sequence[ParsedConversation]
) -> StoreResult:
    """Insert new conversations with their turns and candidate pairs; known content hashes are skipped."""
    result = StoreResult()
    fresh: dict[str, ParsedConversation] = {}
    for conversation in conversations:
        digest = content_hash(conversation)
        if digest in fresh:
            result.duplicates += 1
        else:
            fresh[digest] = conversation
    if fresh:
        known = set(
            session.exec(select(Conversation.content_hash).where(Conversation.content_hash.in_(fresh)))  # type: ignore[call-overload,attr-defined]
            .scalars()
            .all()
        )
        result.duplicates += len(known)
        for digest in known:
            del fresh[digest]
    if not fresh:
        return result
    try:
        with session.begin_nested():
            result.pairs += _insert(session, context=context, items=list(fresh.items()))
        result.added += len(fresh)
    except IntegrityError:
        # Another import stored some of these meanwhile: fall back to one savepoint per conversation.
        for item in fresh.items():
            try:
                with session.begin_nested():
                    result.pairs += _insert(session, context=context, items=[item])
                result.added += 1
            except IntegrityError:
                result.duplicates += 1
    return result


def _insert(session: Session, *, context: FileContext, items: list[tuple[str, ParsedConversation]]) -> int:
    now = utcnow()
    conversation_rows = [
        {
            "source": context.source,
            "format": context.format,
            "file": context.file[:1000],
            "external_id": conversation.external_id[:500],
            "title": (conversation.title or "")[:500] or None,
            "system_prompt": conversation.system_prompt,
            "content_hash": digest,
            "turn_count": len(conversation.turns),
            "meta": conversation.metadata or None,
            "batch_id": context.batch_id,
            "created_at": now,
        }
        for digest, conversation in items
    ]
    conversation_ids = _insert_returning_ids(session, CONVERSATION_TABLE, conversation_rows)
    turn_rows: list[dict[str, Any]] = []
    for conversation_id, (_, conversation) in zip(conversation_ids, items, strict=True):
        turn_rows.extend(
            {
                "conversation_id": conversation_id,
                "index": index,
                "role": turn.role,
                "text": turn.text,
                "blocks": turn.blocks,
            }
            for index, turn in enumerate(conversation.turns)
        )
    turn_ids = iter(_insert_returning_ids(session, TURN_TABLE, turn_rows))
    pair_rows: list[dict[str, Any]] = []
    for conversation_id, (_, conversation) in zip(conversation_ids, items, strict=True):
        ids = [next(turn_ids) for _ in conversation.turns]
        pair_rows.extend(pair_rows_for(conversation_id=conversation_id, conversation=conversation, turn_ids=ids))
    if pair_rows:
        session.execute(insert(PAIR_TABLE), pair_rows)
    return len(pair_rows)


def _insert_returning_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def record_errors(session: Session, *, batch_id: int, file: str, errors: Sequence[dict[str, Any]]) -> None:
    """Store rejected records of one file (file, line or JSON path, reason)."""
    if errors:
        session.execute(
            insert(ImportRecordError.__table__),  # type: ignore[attr-defined]
            [
                {
                    "batch_id": batch_id,
                    "file": file[:1000],
                    "line": e.get("line"),
                    "json_path": e.get("json_path"),
                    "reason": str(e["reason"])[:2000],
                }
                for e in errors
            ],
        )
