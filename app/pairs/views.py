"""The pairs browser: filters, keyset pages, and one pair with its texts, judgments and history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field, model_validator
from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col

from app.auth.deps import AdminUser
from app.auth.models import User
from app.conversations.models import Conversation
from app.conversations.search import text_match
from app.conversations.views import source_id_range
from app.db import SessionDep
from app.errors import NotFoundError, ValidationFailedError
from app.listing import PAGE_SIZE, QueryModel, count_by, newest_first
from app.pairs.history import pair_history
from app.pairs.leak_check import leak_view
from app.pairs.models import Pair, PairStatus
from app.pairs.views_data import load_details
from app.params import MAX_DB_INT, PathId
from app.patterns.models import Pattern
from app.review.models import Judgment
from app.web import render

router = APIRouter(prefix="/admin/pairs")


class PairQuery(QueryModel):
    q: str | None = Field(default=None, max_length=200)
    status: PairStatus | None = None
    min_score: float | None = Field(default=None, ge=0, le=1)
    max_score: float | None = Field(default=None, ge=0, le=1)
    source: str | None = Field(default=None, max_length=200)
    pattern: str | None = Field(default=None, max_length=40)
    reviewer: str | None = Field(default=None, max_length=64)
    created_from: date | None = None
    created_to: date | None = None
    after: int | None = Field(default=None, ge=1, le=MAX_DB_INT)

    @model_validator(mode="after")
    def _ordered_ranges(self) -> PairQuery:
        if self.min_score is not None and self.max_score is not None and self.min_score > self.max_score:
            raise ValueError("the minimum score is above the maximum score")
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("the 'from' date is after the 'to' date")
        return self


def _json_list_has(session: Session, column: Any, value: str) -> ColumnElement[bool]:
    """The JSON array in `column` holds `value` (a containment test on PostgreSQL's JSONB)."""
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(column, JSONB).contains([value])
    element = func.json_each(column).table_valued("value")
    return exists().select_from(element).where(element.c.value == value)


def chosen_has_pattern(session: Session, slug: str) -> ColumnElement[bool]:
    """Some reviewer tagged `slug` on the pair's chosen answer (the first one when the pair is swapped)."""
    swapped = col(Pair.swapped)
    on_first = _json_list_has(session, col(Judgment.patterns_first), slug)
    on_second = _json_list_has(session, col(Judgment.patterns_second), slug)
    on_chosen = or_(and_(swapped, on_first), and_(not_(swapped), on_second))
    # The pairs with the tag on either answer first: the planner may then start from the judgments. Without
    # it PostgreSQL scanned every pair for the few tagged ones (33 ms at 307,000 pairs and 120 judgments;
    # 1 ms with it).
    tagged = select(col(Judgment.pair_id)).where(or_(on_first, on_second))
    return and_(col(Pair.id).in_(tagged), exists().where(col(Judgment.pair_id) == col(Pair.id), on_chosen))


def _reviewer_id(session: Session, username: str) -> int:
    found = session.execute(select(col(User.id)).where(col(User.username) == username)).scalar_one_or_none()
    if found is None:
        raise ValidationFailedError(f"reviewer: there is no user named {username!r}")
    return int(found)


def _check_pattern(session: Session, slug: str) -> None:
    if session.execute(select(col(Pattern.id)).where(col(Pattern.slug) == slug)).first() is None:
        raise ValidationFailedError(f"pattern: there is no pattern {slug!r}")


# A source with more conversations than this imported after its last one counts as old (pair_page).
OLD_SOURCE_NEWER_ROWS = 5_000


def pair_page(session: Session, *, q: PairQuery, size: int = PAGE_SIZE) -> Any:
    columns = (Pair.id, Pair.status, Pair.score, Pair.detector, Pair.created_at, Pair.conversation_id,
               Conversation.title, Conversation.source)  # fmt: skip
    query = select(*(col(c) for c in columns)).join(Conversation, col(Conversation.id) == col(Pair.conversation_id))  # fmt: skip
    if q.q and q.q.strip():
        # The conversation search's plan (full-text index when the text is rare), as a filter: pairs keep
        # their newest-first order.
        query = query.where(text_match(session, q.q.strip()))
    if q.status:
        query = query.where(col(Pair.status) == q.status)
    if q.min_score is not None:
        query = query.where(col(Pair.score) >= q.min_score)
    if q.max_score is not None:
        query = query.where(col(Pair.score) <= q.max_score)
    order: list[Any] = []
    if q.source:
        query = query.where(col(Conversation.source) == q.source)
        bounds = source_id_range(session, q.source)
        if bounds is None:
            query = query.where(false())  # no such source: nothing to scan for
        else:
            low, high, newer = bounds
            query = query.where(col(Pair.conversation_id).between(low, high))
            if newer > OLD_SOURCE_NEWER_ROWS:
                # An old source: sort its own pairs (read through the conversation_id index) rather than
                # step back over the pairs of every newer conversation, which the planner, blind to ids
                # growing with import time, takes for the cheaper plan. `id + 0` can use no index.
                order = [(col(Pair.id) + 0).desc()]
    if q.pattern:
        _check_pattern(session, q.pattern)
        query = query.where(chosen_has_pattern(session, q.pattern))
    if q.reviewer:
        reviewer_id = _reviewer_id(session, q.reviewer)
        query = query.where(
            exists().where(col(Judgment.pair_id) == col(Pair.id), col(Judgment.reviewer_id) == reviewer_id)
        )
    return newest_first(
        session, query, id_column=col(Pair.id), created_column=col(Pair.created_at),
        created_from=q.created_from, created_to=q.created_to, after=q.after, size=size, order_by=order,
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def pairs(
    request: Request, session: SessionDep, user: AdminUser, q: Annotated[PairQuery, Query()]
) -> Response:
    page = pair_page(session, q=q)
    context = {
        "q": q,
        "page": page,
        "judged": count_by(session, col(Judgment.pair_id), [r.id for r in page.rows]),
        "statuses": [s.value for s in PairStatus],
        "patterns": list(
            session.execute(select(col(Pattern.slug), col(Pattern.name)).order_by(col(Pattern.position)))
        ),
        "reviewers": list(session.execute(select(col(User.username)).order_by(col(User.username))).scalars()),
    }
    return render(request, "pairs/list.html", context)


@router.get("/{pair_id}", response_class=HTMLResponse)
def pair(request: Request, session: SessionDep, user: AdminUser, pair_id: PathId) -> Response:
    found = session.get(Pair, pair_id)
    if found is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    judgments = session.execute(
        select(Judgment, col(User.username))
        .outerjoin(User, col(User.id) == col(Judgment.reviewer_id))
        .where(col(Judgment.pair_id) == pair_id)
        .order_by(col(Judgment.created_at), col(Judgment.id))
    ).all()
    detail = load_details(session, pairs=[found])[0]
    context = {
        "pair": found,
        "detail": detail,
        **leak_view(detail, swapped=found.swapped),
        "judgments": judgments,
        "history": pair_history(session, pair=found, judgments=list(judgments)),
    }
    return render(request, "pairs/detail.html", context)
