"""The review queue: leases on pairs so reviewers are not served the same pair beyond the overlap."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlmodel import Session

from app.auth.models import User
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.review.models import Assignment, Judgment
from app.settings.service import get_value

OPEN_STATUSES = (PairStatus.candidate, PairStatus.conflict)


def left_side_for(*, pair_id: int, reviewer_id: int) -> str:
    """Which detected answer a reviewer sees on the left: fixed per (pair, reviewer), unbiased overall."""
    digest = hashlib.sha256(f"{pair_id}:{reviewer_id}".encode()).digest()
    return "first" if digest[0] % 2 == 0 else "second"


def current_assignment(session: Session, *, reviewer: User, now: datetime | None = None) -> Assignment | None:
    """The reviewer's live lease on a pair they have not judged yet, if any."""
    now = now or utcnow()
    return session.exec(  # type: ignore[call-overload,no-any-return]
        select(Assignment)
        .where(
            Assignment.reviewer_id == reviewer.id,
            Assignment.expires_at > now,  # type: ignore[arg-type]
            Assignment.skipped.is_(False),  # type: ignore[attr-defined]
            ~exists().where(and_(Judgment.pair_id == Assignment.pair_id, Judgment.reviewer_id == reviewer.id)),
        )
        .order_by(Assignment.leased_at.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).scalars().first()


def lease_next(session: Session, *, reviewer: User, now: datetime | None = None) -> Assignment | None:
    """Keep the reviewer's live lease, or lease the best open pair nobody else holds beyond the overlap."""
    now = now or utcnow()
    held = current_assignment(session, reviewer=reviewer, now=now)
    if held is not None:
        return held
    threshold = float(get_value(session, key="detection_threshold"))
    overlap = int(get_value(session, key="overlap"))
    judged = select(func.count()).select_from(Judgment).where(Judgment.pair_id == Pair.id).scalar_subquery()
    leased = (
        select(func.count())
        .select_from(Assignment)
        .where(
            Assignment.pair_id == Pair.id,
            Assignment.reviewer_id != reviewer.id,
            Assignment.expires_at > now,  # type: ignore[arg-type]
            Assignment.skipped.is_(False),  # type: ignore[attr-defined]
        )
        .scalar_subquery()
    )
    mine = select(Assignment.pair_id).where(
        Assignment.reviewer_id == reviewer.id,
        Assignment.skipped.is_(True),  # type: ignore[attr-defined]
    )
    mine_judged = select(Judgment.pair_id).where(Judgment.reviewer_id == reviewer.id)
    query = (
        select(Pair.id)
        .where(
            Pair.status.in_(OPEN_STATUSES),  # type: ignore[attr-defined]
            Pair.score >= threshold,
            Pair.id.not_in(mine),  # type: ignore[union-attr]
            Pair.id.not_in(mine_judged),  # type: ignore[union-attr]
            judged + leased < overlap,
        )
        .order_by(Pair.score.desc(), Pair.id)  # type: ignore[attr-defined]
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent reviewers skip a pair another transaction is leasing right now.
        query = query.with_for_update(skip_locked=True, of=Pair)  # type: ignore[arg-type]
    pair_id = session.execute(query).scalar_one_or_none()
    if pair_id is None:
        return None
    lease_minutes = int(get_value(session, key="lease_minutes"))
    assignment = session.exec(  # type: ignore[call-overload]
        select(Assignment).where(Assignment.pair_id == pair_id, Assignment.reviewer_id == reviewer.id)
    ).scalars().first()
    if assignment is None:
        assignment = Assignment(
            pair_id=pair_id, reviewer_id=reviewer.id or 0, left_side=left_side_for(pair_id=pair_id,
                                                                                reviewer_id=reviewer.id or 0),
            expires_at=now,
        )
    assignment.leased_at = now
    assignment.expires_at = now + timedelta(minutes=lease_minutes)
    session.add(assignment)
    session.flush()
    return assignment  # type: ignore[no-any-return]


def skip(session: Session, *, reviewer: User, pair_id: int) -> None:
    """Give the pair back to the queue for others and never serve it to this reviewer again."""
    assignment = session.exec(  # type: ignore[call-overload]
        select(Assignment).where(Assignment.pair_id == pair_id, Assignment.reviewer_id == reviewer.id)
    ).scalars().first()
    now = utcnow()
    if assignment is None:
        assignment = Assignment(pair_id=pair_id, reviewer_id=reviewer.id or 0,
                                left_side=left_side_for(pair_id=pair_id, reviewer_id=reviewer.id or 0),
                                expires_at=now)
    assignment.skipped = True
    assignment.expires_at = now
    session.add(assignment)
