"""The conversations browser: search, filters, keyset pages, and one conversation with its turns and pairs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field, field_validator, model_validator
from sqlalchemy import false, func, select
from sqlmodel import Session, col

from app.auth.deps import AdminUser
from app.conversations.importers import FORMATS
from app.conversations.models import Conversation, ImportBatch, Turn
from app.conversations.search import plan_search
from app.db import SessionDep
from app.errors import NotFoundError
from app.listing import PAGE_SIZE, QueryModel, best_first, count_by, newest_first
from app.pairs.models import Pair
from app.params import MAX_DB_INT, PathId
from app.review.page import tool_blocks
from app.web import render

router = APIRouter(prefix="/admin/conversations")


MAX_SEARCH_PAGE = 1_000
LIST_COLUMNS = (
    Conversation.id,
    Conversation.title,
    Conversation.source,
    Conversation.format,
    Conversation.file,
    Conversation.turn_count,
    Conversation.created_at,
)


class ConversationQuery(QueryModel):
    q: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=200)
    format: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    after: int | None = Field(default=None, ge=1, le=MAX_DB_INT)
    # Ranked search results page by number (they are scored in full on each request).
    page: int | None = Field(default=None, ge=1, le=MAX_SEARCH_PAGE)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        if value is not None and value not in FORMATS:
            raise ValueError(f"choose one of: {', '.join(FORMATS)}")
        return value

    @model_validator(mode="after")
    def _ordered_dates(self) -> ConversationQuery:
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("the 'from' date is after the 'to' date")
        return self


def source_id_range(session: Session, source: str) -> tuple[int, int, int] | None:
    """The lowest and highest conversation id of `source` and how many ids lie above it; None if it has none.

    A source's conversations, and so its pairs, lie in that id range; min and max are one probe each of
    ix_conversation_source_id.
    """
    ids = col(Conversation.id)
    bounds = select(func.min(ids), func.max(ids)).where(col(Conversation.source) == source).subquery()
    top = select(func.max(ids)).scalar_subquery()
    low, high, newest = session.execute(select(*bounds.c, top)).one()
    if low is None:
        return None
    return int(low), int(high), int(newest) - int(high)


def conversation_page(session: Session, *, q: ConversationQuery, size: int = PAGE_SIZE) -> Any:
    """Ranked search results when the search is rare enough to rank; otherwise newest first."""
    query = select(*(col(c) for c in LIST_COLUMNS))
    if q.source:
        query = query.where(col(Conversation.source) == q.source)
        # Within the source's id range: the planner, blind to ids growing with import time, steps back over
        # the primary key from the newest conversation, and for the first of five imports at 1M
        # conversations passed 800,000 rows of the others first (110 to 190 ms).
        found = source_id_range(session, q.source)
        if found is None:
            query = query.where(false())  # no such source: nothing to scan for
        else:
            query = query.where(col(Conversation.id).between(found[0], found[1]))
    if q.format:
        query = query.where(col(Conversation.format) == q.format)
    if q.q:
        plan = plan_search(session, q.q)
        if plan.ranked is not None and q.after is None:
            hits = plan.ranked
            return best_first(
                session, query.join(hits, hits.c.conversation_id == col(Conversation.id)),
                score_column=hits.c.score, id_column=col(Conversation.id),
                created_column=col(Conversation.created_at), created_from=q.created_from,
                created_to=q.created_to, page=q.page or 1, size=size,
            )  # fmt: skip
        query = query.where(plan.as_filter())
    return newest_first(
        session, query, id_column=col(Conversation.id), created_column=col(Conversation.created_at),
        created_from=q.created_from, created_to=q.created_to, after=q.after, size=size,
    )  # fmt: skip


def known_sources(session: Session) -> list[str]:
    """Source names for the filter's suggestions (from the small batches table, not the conversations)."""
    query = select(col(ImportBatch.source)).distinct().order_by(col(ImportBatch.source)).limit(200)
    return [str(s) for s in session.execute(query).scalars()]


@router.get("", response_class=HTMLResponse)
def conversations(
    request: Request, session: SessionDep, user: AdminUser, q: Annotated[ConversationQuery, Query()]
) -> Response:
    page = conversation_page(session, q=q)
    context = {
        "q": q,
        "page": page,
        "pairs": count_by(session, col(Pair.conversation_id), [r.id for r in page.rows]),
        "sources": known_sources(session),
        "formats": FORMATS,
    }
    return render(request, "conversations/list.html", context)


@router.get("/{conversation_id}", response_class=HTMLResponse)
def conversation(request: Request, session: SessionDep, user: AdminUser, conversation_id: PathId) -> Response:
    found = session.get(Conversation, conversation_id)
    if found is None:
        raise NotFoundError(f"conversation {conversation_id} does not exist")
    turns = list(
        session.execute(
            select(Turn).where(col(Turn.conversation_id) == conversation_id).order_by(col(Turn.index))
        ).scalars()
    )
    pairs = list(
        session.execute(
            select(Pair).where(col(Pair.conversation_id) == conversation_id).order_by(col(Pair.id))
        ).scalars()
    )
    roles: dict[int, list[str]] = {}
    for pair in pairs:
        for turn_id, role in ((pair.rejected_turn_id, "rejected"), (pair.pushback_turn_id, "pushback"),
                              (pair.chosen_turn_id, "chosen")):  # fmt: skip
            if turn_id is not None:
                roles.setdefault(turn_id, []).append(f"{role} in pair #{pair.id}")
    context = {
        "conversation": found,
        "turns": turns,
        "pairs": pairs,
        "roles": roles,
        "tool_blocks": tool_blocks,
    }
    return render(request, "conversations/detail.html", context)
