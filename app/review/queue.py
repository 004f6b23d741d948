"""The review queue: leases on pairs so reviewers are not served the same pair beyond the overlap."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func
from sqlmodel import Session, col, select

from app.auth.models import User
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.review.models import Assignment, Judgment
from app.settings.service import get_value

OPEN_STATUSES = (PairStatus.candidate, PairStatus.conflict)
# Pairs found full after locking are passed over; beyond this many the reviewer simply retries.
MAX_PICK_ATTEMPTS = 20
# The conversations of a reviewer's last few verdicts go to the back of the line (never out of it), so a
# conversation with 30 candidates does not fill 30 screens in a row.
RECENT_CONVERSATIONS = 3


def left_side_for(*, pair_id: int, reviewer_id: int) -> str:
    """Which detected answer a reviewer sees on the left: fixed per (pair, reviewer), unbiased overall."""
    digest = hashlib.sha256(f"{pair_id}:{reviewer_id}".encode()).digest()
    return "first" if digest[0] % 2 == 0 else "second"


def current_assignment(session: Session, *, reviewer: User, now: datetime | None = None) -> Assignment | None:
    """The reviewer's live lease on a pair they have not judged yet, if any."""
    now = now or utcnow()
    return session.exec(
        select(Assignment)
        .where(
            col(Assignment.reviewer_id) == reviewer.id,
            col(Assignment.expires_at) > now,
            col(Assignment.skipped).is_(False),
            ~exists().where(
                and_(
                    col(Judgment.pair_id) == Assignment.pair_id,
                    col(Judgment.reviewer_id) == reviewer.id,
                )
            ),
        )
        .order_by(col(Assignment.leased_at).desc())
        .limit(1)
    ).first()


def lease_next(session: Session, *, reviewer: User, now: datetime | None = None) -> Assignment | None:
    """Keep the reviewer's live lease, or lease the best open pair nobody else holds beyond the overlap."""
    now = now or utcnow()
    held = current_assignment(session, reviewer=reviewer, now=now)
    if held is not None:
        return held
    threshold = float(get_value(session, key="detection_threshold"))
    overlap = int(get_value(session, key="overlap"))
    judged = (
        select(func.count()).select_from(Judgment).where(col(Judgment.pair_id) == Pair.id).scalar_subquery()
    )
    leased = (
        select(func.count())
        .select_from(Assignment)
        .where(
            col(Assignment.pair_id) == Pair.id,
            col(Assignment.reviewer_id) != reviewer.id,
            col(Assignment.expires_at) > now,
            col(Assignment.skipped).is_(False),
        )
        .scalar_subquery()
    )
    mine = select(col(Assignment.pair_id)).where(
        col(Assignment.reviewer_id) == reviewer.id,
        col(Assignment.skipped).is_(True),
    )
    mine_judged = select(col(Judgment.pair_id)).where(col(Judgment.reviewer_id) == reviewer.id)
    recent = list(
        session.execute(
            select(col(Pair.conversation_id))
            .join(Judgment, col(Judgment.pair_id) == col(Pair.id))
            .where(col(Judgment.reviewer_id) == reviewer.id)
            .order_by(col(Judgment.created_at).desc(), col(Judgment.id).desc())
            .limit(RECENT_CONVERSATIONS)
        ).scalars()
    )
    seen_lately = case((col(Pair.conversation_id).in_(recent), 1), else_=0) if recent else None
    order = [col(Pair.score).desc(), col(Pair.id)]
    query = (
        select(col(Pair.id))
        .where(
            col(Pair.status).in_(OPEN_STATUSES),
            col(Pair.score) >= threshold,
            col(Pair.id).not_in(mine),
            col(Pair.id).not_in(mine_judged),
            judged + leased < overlap,
        )
        .order_by(*([seen_lately, *order] if seen_lately is not None else order))
        .limit(1)
    )
    pair_id = _pick(session, query=query, reviewer=reviewer, overlap=overlap, now=now)
    if pair_id is None:
        return None
    lease_minutes = int(get_value(session, key="lease_minutes"))
    assignment = _assignment(session, pair_id=pair_id, reviewer=reviewer, now=now)
    assignment.leased_at = now
    assignment.expires_at = now + timedelta(minutes=lease_minutes)
    session.add(assignment)
    session.flush()
    return assignment


def _pick(session: Session, *, query: Any, reviewer: User, overlap: int, now: datetime) -> int | None:
    """The first open pair of `query`; on PostgreSQL, locked and re-checked.

    SKIP LOCKED keeps concurrent reviewers off a pair being leased right now, but a lease committed just
    before our lock was taken is invisible to the snapshot that chose the pair: count again after locking.
    """
    if session.get_bind().dialect.name != "postgresql":
        return session.execute(query).scalar_one_or_none()
    passed: list[int] = []
    for _ in range(MAX_PICK_ATTEMPTS):
        candidates = query.where(col(Pair.id).not_in(passed)) if passed else query
        pair_id = session.execute(candidates.with_for_update(skip_locked=True, of=Pair)).scalar_one_or_none()
        if pair_id is None:
            return None
        taken = (
            session.execute(
                select(func.count()).select_from(Judgment).where(col(Judgment.pair_id) == pair_id)
            ).scalar_one()
            + session.execute(
                select(func.count())
                .select_from(Assignment)
                .where(
                    col(Assignment.pair_id) == pair_id,
                    col(Assignment.reviewer_id) != reviewer.id,
                    col(Assignment.expires_at) > now,
                    col(Assignment.skipped).is_(False),
                )
            ).scalar_one()
        )
        if taken < overlap:
            return int(pair_id)
        passed.append(int(pair_id))
    return None


def skip(session: Session, *, reviewer: User, pair_id: int) -> None:
    """Give the pair back to the queue for others and never serve it to this reviewer again."""
    now = utcnow()
    assignment = _assignment(session, pair_id=pair_id, reviewer=reviewer, now=now)
    assignment.skipped = True
    assignment.expires_at = now
    session.add(assignment)


def _assignment(session: Session, *, pair_id: int, reviewer: User, now: datetime) -> Assignment:
    """The reviewer's assignment of a pair, or a new one (its screen sides fixed by `left_side_for`)."""
    assignment = session.exec(
        select(Assignment).where(
            col(Assignment.pair_id) == pair_id, col(Assignment.reviewer_id) == reviewer.id
        )
    ).first()
    if assignment is None:
        assignment = Assignment(
            pair_id=pair_id,
            reviewer_id=reviewer.id or 0,
            left_side=left_side_for(pair_id=pair_id, reviewer_id=reviewer.id or 0),
            expires_at=now,
        )
    return assignment
