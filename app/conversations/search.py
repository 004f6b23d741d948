"""Conversation search: a case-insensitive substring of the title or of any turn, fast on PostgreSQL.

The substring test is the same on both backends. On PostgreSQL the query's words also go through the
full-text GIN indexes (each word as a prefix of a stored word): when the planner expects few matching
turns, the matches come from the indexes and a search that matches nothing reads a few index pages
instead of every turn; when it expects many, the newest-first scan probes each conversation's turns and
stops at the first page of hits, which for a common word is soon. Only on the index path, a fragment
from inside a word ("ubernetes") finds nothing there while SQLite and the probe path find it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, or_, select, text
from sqlmodel import Session, col

from app.conversations.models import Conversation, Turn

# `simple`: no stemming or stop words, so a word's prefix in the query is a prefix of the stored token.
SEARCH_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")
WORD = re.compile(r"[^\W_]+")
MAX_SEARCH_WORDS = 16
# Up to this many expected matching turns the index path is cheaper than probing newest-first.
FEW_MATCHES = 10_000


def text_match(session: Session, query: str) -> ColumnElement[bool]:
    """Title or any turn contains `query`, case-insensitively; % and _ in it match themselves."""
    title, turn_text = col(Conversation.title), col(Turn.text)
    in_title = title.icontains(query, autoescape=True)
    in_text = turn_text.icontains(query, autoescape=True)
    words = search_words(query)
    if words and session.get_bind().dialect.name == "postgresql":
        wanted = func.to_tsquery(SEARCH_CONFIG, " & ".join(f"{w}:*" for w in words))
        turn_hits = select(col(Turn.conversation_id)).where(search_vector(turn_text).op("@@")(wanted))
        if _estimated_rows(session, turn_hits) <= FEW_MATCHES:
            title_hits = select(col(Conversation.id)).where(
                search_vector(func.coalesce(title, "")).op("@@")(wanted), in_title
            )
            return col(Conversation.id).in_(turn_hits.where(in_text).union(title_hits))
    probe = select(col(Turn.id)).where(col(Turn.conversation_id) == col(Conversation.id), in_text)
    if session.get_bind().dialect.name == "postgresql":
        # OFFSET 0 keeps the probe per conversation: with statistics the planner would otherwise
        # hash every matching turn up front, reading the whole table for a common word.
        probe = probe.offset(0)
    return or_(in_title, probe.exists())


def search_words(query: str) -> list[str]:
    """The query's words as PostgreSQL's `simple` parser splits them (lower-cased letters and digits)."""
    return [w.lower() for w in WORD.findall(query)][:MAX_SEARCH_WORDS]


def search_vector(value: Any) -> ColumnElement[Any]:
    """The indexed expression of the full-text GIN indexes (app/conversations/models.search_index)."""
    return func.to_tsvector(SEARCH_CONFIG, value)


def _estimated_rows(session: Session, query: Select[Any]) -> float:
    """The planner's row estimate for `query` (reads statistics, not the table)."""
    compiled = query.compile(bind=session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])
