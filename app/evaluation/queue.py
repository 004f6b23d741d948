"""The blind A/B queue of an evaluation: leases on comparisons (sides randomized per reviewer and recorded)
and judgments stored per candidate. A separate queue from the preference pairs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.models import User
from app.errors import ConflictError, NotFoundError, ValidationFailedError
from app.evaluation.models import (
    Comparison,
    ComparisonJudgment,
    ComparisonLease,
    EvalAnswer,
    EvalPrompt,
    EvalStatus,
    Evaluation,
)
from app.models_base import utcnow
from app.patterns.service import list_patterns
from app.settings.service import get_value

VERDICTS = ("left", "right", "tie")


def left_candidate_for(comparison: Comparison, *, reviewer_id: int) -> int:
    """Which candidate a reviewer sees on the left: fixed per (comparison, reviewer), unbiased overall."""
    digest = hashlib.sha256(f"eval:{comparison.id}:{reviewer_id}".encode()).digest()
    return comparison.candidate_a_id if digest[0] % 2 == 0 else comparison.candidate_b_id


def _live(now: datetime, reviewer_id: int) -> list[ColumnElement[bool]]:
    return [col(ComparisonLease.expires_at) > now, col(ComparisonLease.reviewer_id) != reviewer_id]


def current_lease(
    session: Session, *, evaluation_id: int, reviewer: User, now: datetime | None = None
) -> ComparisonLease | None:
    """The reviewer's live lease in this evaluation on a comparison they have not judged."""
    now = now or utcnow()
    judged = select(col(ComparisonJudgment.comparison_id)).where(
        col(ComparisonJudgment.reviewer_id) == reviewer.id
    )
    query = (
        select(ComparisonLease)
        .join(Comparison, col(Comparison.id) == col(ComparisonLease.comparison_id))
        .where(
            col(Comparison.evaluation_id) == evaluation_id,
            col(ComparisonLease.reviewer_id) == reviewer.id,
            col(ComparisonLease.expires_at) > now,
            col(ComparisonLease.comparison_id).not_in(judged),
        )
        .order_by(col(ComparisonLease.leased_at).desc())
        .limit(1)
    )
    return session.exec(query).first()


def _taken(session: Session, *, comparison_id: int, reviewer_id: int, now: datetime) -> int:
    judged = session.execute(
        select(func.count())
        .select_from(ComparisonJudgment)
        .where(col(ComparisonJudgment.comparison_id) == comparison_id)
    ).scalar_one()
    held = session.execute(
        select(func.count())
        .select_from(ComparisonLease)
        .where(col(ComparisonLease.comparison_id) == comparison_id, *_live(now, reviewer_id))
    ).scalar_one()
    return int(judged) + int(held)


def lease_next(
    session: Session, *, evaluation: Evaluation, reviewer: User, now: datetime | None = None
) -> ComparisonLease | None:
    """Keep the reviewer's live lease, or lease the first comparison with room left under the overlap."""
    now = now or utcnow()
    if evaluation.status not in (EvalStatus.ready, EvalStatus.failed):
        return None
    held = current_lease(session, evaluation_id=evaluation.id or 0, reviewer=reviewer, now=now)
    if held is not None:
        return held
    judged = (
        select(func.count())
        .select_from(ComparisonJudgment)
        .where(col(ComparisonJudgment.comparison_id) == Comparison.id)
        .scalar_subquery()
    )
    leased = (
        select(func.count())
        .select_from(ComparisonLease)
        .where(col(ComparisonLease.comparison_id) == Comparison.id, *_live(now, reviewer.id or 0))
        .scalar_subquery()
    )
    mine = select(col(ComparisonJudgment.comparison_id)).where(
        col(ComparisonJudgment.reviewer_id) == reviewer.id
    )
    query = (
        select(col(Comparison.id))
        .where(
            col(Comparison.evaluation_id) == evaluation.id,
            col(Comparison.id).not_in(mine),
            judged + leased < evaluation.overlap,
        )
        .order_by(col(Comparison.id))
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Comparison)
    comparison_id = session.execute(query).scalar_one_or_none()
    if comparison_id is None:
        return None
    comparison = session.get(Comparison, comparison_id)
    assert comparison is not None
    lease = _lease(session, comparison_id=comparison_id, reviewer_id=reviewer.id or 0)
    if lease is None:
        lease = ComparisonLease(
            comparison_id=comparison_id, reviewer_id=reviewer.id or 0,
            left_candidate_id=left_candidate_for(comparison, reviewer_id=reviewer.id or 0), expires_at=now,
        )  # fmt: skip
    lease.leased_at = now
    lease.expires_at = now + timedelta(minutes=int(get_value(session, key="lease_minutes")))
    session.add(lease)
    session.flush()
    return lease


def _lease(session: Session, *, comparison_id: int, reviewer_id: int) -> ComparisonLease | None:
    """The reviewer's lease row on this comparison (live or expired), if any."""
    query = select(ComparisonLease).where(
        col(ComparisonLease.comparison_id) == comparison_id, col(ComparisonLease.reviewer_id) == reviewer_id
    )
    return session.exec(query).first()


@dataclass(slots=True)
class ComparisonView:
    comparison: Comparison
    evaluation: Evaluation
    prompt: EvalPrompt
    left_text: str
    right_text: str
    left_candidate_id: int
    patterns: list[object] = field(default_factory=list)


def view_for(session: Session, *, lease: ComparisonLease) -> ComparisonView:
    """What the reviewer sees: the prompt and two answers in their recorded order, without labels."""
    comparison = session.get(Comparison, lease.comparison_id)
    assert comparison is not None
    evaluation = session.get(Evaluation, comparison.evaluation_id)
    prompt = session.get(EvalPrompt, comparison.prompt_id)
    assert evaluation is not None
    assert prompt is not None
    right_id = (
        comparison.candidate_b_id
        if lease.left_candidate_id == comparison.candidate_a_id
        else comparison.candidate_a_id
    )
    texts = {
        int(c): t
        for c, t in session.execute(
            select(col(EvalAnswer.candidate_id), col(EvalAnswer.text)).where(
                col(EvalAnswer.prompt_id) == comparison.prompt_id,
                col(EvalAnswer.candidate_id).in_([lease.left_candidate_id, right_id]),
            )
        )
    }
    return ComparisonView(
        comparison=comparison, evaluation=evaluation, prompt=prompt, left_text=texts.get(lease.left_candidate_id, ""),
        right_text=texts.get(right_id, ""), left_candidate_id=lease.left_candidate_id,
        patterns=list(list_patterns(session, active_only=True)),
    )  # fmt: skip


def held_lease(
    session: Session, *, evaluation_id: int, comparison_id: int, reviewer: User
) -> ComparisonLease:
    comparison = session.get(Comparison, comparison_id)
    if comparison is None or comparison.evaluation_id != evaluation_id:
        raise NotFoundError(f"comparison {comparison_id} does not exist in evaluation {evaluation_id}")
    lease = _lease(session, comparison_id=comparison_id, reviewer_id=reviewer.id or 0)
    if lease is None:
        raise NotFoundError(f"comparison {comparison_id} is not in your queue; ask for the next one first")
    return lease


def submit(
    session: Session, *, evaluation_id: int, comparison_id: int, reviewer: User, verdict: str,
    patterns_left: list[str], patterns_right: list[str],
) -> ComparisonJudgment:  # fmt: skip
    """Store one judgment per (comparison, reviewer) within the overlap, translated from sides to candidates."""
    if verdict not in VERDICTS:
        raise ValidationFailedError(f"verdict must be left, right or tie, not {verdict!r}")
    known = {p.slug for p in list_patterns(session, active_only=True)}
    unknown = sorted((set(patterns_left) | set(patterns_right)) - known)
    if unknown:
        raise ValidationFailedError(f"unknown patterns: {', '.join(unknown)}")
    lease = held_lease(session, evaluation_id=evaluation_id, comparison_id=comparison_id, reviewer=reviewer)
    comparison = session.get(Comparison, comparison_id, with_for_update=True)
    evaluation = session.get(Evaluation, evaluation_id)
    assert comparison is not None
    assert evaluation is not None
    now = utcnow()
    if session.execute(
        select(func.count())
        .select_from(ComparisonJudgment)
        .where(
            col(ComparisonJudgment.comparison_id) == comparison_id,
            col(ComparisonJudgment.reviewer_id) == reviewer.id,
        )
    ).scalar_one():
        raise ConflictError("You already judged this comparison.")
    if (
        _taken(session, comparison_id=comparison_id, reviewer_id=reviewer.id or 0, now=now) + 1
        > evaluation.overlap
    ):
        raise ConflictError(
            "Your hold on this comparison expired and it went to another reviewer; your verdict was not saved."
        )
    left = lease.left_candidate_id
    right = comparison.candidate_b_id if left == comparison.candidate_a_id else comparison.candidate_a_id
    winner = {"left": left, "right": right, "tie": None}[verdict]
    on_a = patterns_left if left == comparison.candidate_a_id else patterns_right
    on_b = patterns_right if left == comparison.candidate_a_id else patterns_left
    judgment = ComparisonJudgment(
        comparison_id=comparison_id, evaluation_id=evaluation_id, reviewer_id=reviewer.id or 0,
        left_candidate_id=left, winner_candidate_id=winner, patterns_a=sorted(set(on_a)),
        patterns_b=sorted(set(on_b)), seconds_spent=min((now - lease.leased_at).total_seconds(), 1800.0),
        created_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(judgment)
            session.flush()
    except IntegrityError:
        raise ConflictError("You already judged this comparison.") from None
    session.delete(lease)
    session.flush()
    return judgment


def progress(session: Session, *, evaluation: Evaluation) -> tuple[int, int]:
    """(judgments stored, judgments wanted: comparisons x overlap)."""
    comparisons = session.execute(
        select(func.count()).select_from(Comparison).where(col(Comparison.evaluation_id) == evaluation.id)
    ).scalar_one()
    judged = session.execute(
        select(func.count())
        .select_from(ComparisonJudgment)
        .where(col(ComparisonJudgment.evaluation_id) == evaluation.id)
    ).scalar_one()
    return int(judged), int(comparisons) * evaluation.overlap
