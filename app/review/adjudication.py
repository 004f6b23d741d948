"""Adjudication: an admin settles a pair whose reviewers disagreed; the decision is recorded as such."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.models import User
from app.conversations.models import Turn
from app.errors import ConflictError, NotFoundError
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.review.models import Adjudication, Judgment, Verdict
from app.settings.service import audit

STATUS_OF = {
    Verdict.first: PairStatus.accepted,
    Verdict.second: PairStatus.accepted,
    Verdict.tie: PairStatus.tie,
    Verdict.not_a_pair: PairStatus.not_a_pair,
}


@dataclass(slots=True)
class Case:
    pair: Pair
    first: Turn
    second: Turn
    pushback: Turn | None
    judgments: list[tuple[Judgment, str]]  # with the reviewer's name


def conflicts(session: Session, *, limit: int = 50) -> list[int]:
    """Pairs whose reviewers disagree, oldest first."""
    return [
        int(pid)
        for pid in session.execute(
            select(col(Pair.id))
            .where(col(Pair.status) == PairStatus.conflict)
            .order_by(col(Pair.id))
            .limit(limit)
        ).scalars()
    ]


def count_conflicts(session: Session) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(Pair).where(col(Pair.status) == PairStatus.conflict)
        ).scalar_one()
    )


def case(session: Session, *, pair_id: int) -> Case:
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    rows = session.execute(
        select(Judgment, col(User.username))
        .join(User, col(User.id) == Judgment.reviewer_id)
        .where(col(Judgment.pair_id) == pair_id)
        .order_by(col(Judgment.created_at))
    ).all()
    first, second = session.get(Turn, pair.first_turn_id), session.get(Turn, pair.second_turn_id)
    assert first is not None
    assert second is not None
    pushback = session.get(Turn, pair.pushback_turn_id) if pair.pushback_turn_id else None
    return Case(pair=pair, first=first, second=second, pushback=pushback, judgments=[(j, n) for j, n in rows])


def adjudicate(
    session: Session, *, admin: User, pair_id: int, verdict: Verdict, note: str | None
) -> Adjudication:
    """Set the final status of a conflicting pair and record who decided it and why."""
    pair = session.get(Pair, pair_id, with_for_update=True)
    if pair is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    if pair.status != PairStatus.conflict:
        raise ConflictError(f"pair {pair_id} is {pair.status}, not in conflict: nothing to adjudicate")
    decision = Adjudication(
        pair_id=pair_id, admin_id=admin.id, verdict=verdict, note=(note or "").strip() or None
    )
    session.add(decision)
    pair.status = STATUS_OF[verdict]
    pair.swapped = verdict == Verdict.first
    pair.version += 1
    pair.updated_at = utcnow()
    session.add(pair)
    audit(
        session, user_id=admin.id, action="pair.adjudicated", object_type="pair", object_id=pair_id,
        verdict=str(verdict), note=decision.note,
    )  # fmt: skip
    session.flush()
    return decision
