"""Control pairs: judged pairs an admin marks with their expected verdict, mixed into the queue at a set rate.

The queue serves a control like any pair (`queue.lease_next`, at `control_percent`); the reviewer's verdict
on it is a `ControlAnswer`, stored apart from judgments, so it changes no pair status, count, agreement
figure, export or scorer label. Each reviewer's accuracy on controls is answers matching the expected
verdict over answers, with a 95% Wilson interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.models import User
from app.errors import ConflictError, NotFoundError, ValidationFailedError
from app.evaluation.stats import wilson
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.review.models import Assignment, ControlAnswer, ControlPair, Verdict
from app.review.service import MAX_SECONDS_COUNTED, check_render
from app.settings.service import audit, get_value, set_value

MAX_PERCENT = 20

# How each expected verdict reads on the admin pages, in the project's words for a pair's final status.
VERDICT_LABELS = {
    Verdict.second: "accepted (the revised answer is better)",
    Verdict.first: "accepted, swapped (the first answer is better)",
    Verdict.tie: "tie",
    Verdict.not_a_pair: "not a pair",
}


def expected_verdict(pair: Pair) -> Verdict | None:
    """The pair's final verdict in the detected orientation; None while it is not decided."""
    if pair.status == PairStatus.accepted:
        return Verdict.first if pair.swapped else Verdict.second
    if pair.status == PairStatus.tie:
        return Verdict.tie
    if pair.status == PairStatus.not_a_pair:
        return Verdict.not_a_pair
    return None


def control_of(session: Session, *, pair_id: int) -> ControlPair | None:
    return session.exec(select(ControlPair).where(col(ControlPair.pair_id) == pair_id)).first()


def mark(session: Session, *, admin: User, pair_id: int) -> ControlPair:
    """Mark a judged pair as a control, expecting its final verdict; marking a control again changes nothing."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    existing = control_of(session, pair_id=pair_id)
    if existing is not None:
        return existing
    verdict = expected_verdict(pair)
    if verdict is None:
        raise ConflictError(
            f"pair {pair_id} is {pair.status}: only a judged pair (accepted, tie or not a pair) can be a control"
        )
    control = ControlPair(pair_id=pair_id, verdict=verdict, admin_id=admin.id)
    session.add(control)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"pair {pair_id} was marked as a control meanwhile") from None
    audit(session, user_id=admin.id, action="pair.control_marked", object_type="pair", object_id=pair_id,
          verdict=str(verdict))  # fmt: skip
    return control


def unmark(session: Session, *, admin: User, pair_id: int) -> None:
    """Stop using a pair as a control: it is served no more, and its answers leave every reviewer's accuracy
    (they are kept: marked again, it counts them again and serves it to no one who answered it)."""
    if session.get(Pair, pair_id) is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    control = control_of(session, pair_id=pair_id)
    if control is None:
        raise NotFoundError(f"pair {pair_id} is not a control")
    session.delete(control)
    audit(session, user_id=admin.id, action="pair.control_unmarked", object_type="pair", object_id=pair_id,
          verdict=control.verdict)  # fmt: skip
    session.flush()


def set_percent(session: Session, *, admin: User, percent: int) -> None:
    """The share of served pairs that are controls, 0 (off) to MAX_PERCENT."""
    if not 0 <= percent <= MAX_PERCENT:
        raise ValidationFailedError(f"control rate: a whole percent from 0 to {MAX_PERCENT}")
    if int(get_value(session, key="control_percent")) == percent:
        return
    set_value(session, key="control_percent", value=percent)
    audit(session, user_id=admin.id, action="settings.update", object_type="settings", object_id="runtime",
          control_percent=percent)  # fmt: skip


def answer(
    session: Session,
    *,
    reviewer: User,
    assignment: Assignment,
    verdict: Verdict,
    comment: str | None = None,
    flagged: bool = False,
    screen_token: str | None = None,
) -> ControlAnswer:
    """Store the reviewer's verdict on the control they hold (a screen verdict carries its token) and end
    the lease. Nothing else changes: the pair keeps its status and judgments."""
    now = utcnow()
    if screen_token is not None:
        check_render(session, assignment=assignment, token=screen_token, now=now)
    if comment is not None and len(comment) > 5000:
        raise ValidationFailedError("comment is longer than 5,000 characters")
    stored = ControlAnswer(
        pair_id=assignment.pair_id,
        reviewer_id=reviewer.id or 0,
        verdict=verdict,
        left_side=assignment.left_side,
        comment=(comment or "").strip() or None,
        flagged=flagged,
        seconds_spent=min((now - assignment.leased_at).total_seconds(), MAX_SECONDS_COUNTED),
        created_at=now,
    )
    session.add(stored)
    session.delete(assignment)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError("You already judged this pair; press u to undo your last verdict.") from None
    return stored


@dataclass(slots=True)
class Accuracy:
    username: str
    answered: int
    correct: int
    share: float | None
    low: float  # 95% Wilson interval of the share
    high: float


def accuracy(session: Session) -> list[Accuracy]:
    """Per reviewer, their answers on the current controls: how many match the expected verdict."""
    correct = func.sum(case((col(ControlAnswer.verdict) == col(ControlPair.verdict), 1), else_=0))
    rows = session.execute(
        select(col(User.username), func.count(), correct)
        .select_from(ControlAnswer)
        .join(ControlPair, col(ControlPair.pair_id) == col(ControlAnswer.pair_id))
        .join(User, col(User.id) == col(ControlAnswer.reviewer_id))
        .group_by(col(User.username))
        .order_by(col(User.username))
    ).all()
    result = []
    for username, answered, right in rows:
        n, k = int(answered), int(right or 0)
        low, high = wilson(k, n)
        result.append(Accuracy(str(username), n, k, k / n if n else None, low, high))
    return result


@dataclass(slots=True)
class ControlRow:
    pair_id: int
    verdict: str
    label: str
    answered: int
    correct: int
    marked_by: str | None
    created_at: datetime


def list_controls(session: Session) -> list[ControlRow]:
    """Every control, newest first, with how many reviewers answered it and how many got it right."""
    answers = (
        select(
            col(ControlAnswer.pair_id),
            func.count().label("answered"),
            func.sum(case((col(ControlAnswer.verdict) == col(ControlPair.verdict), 1), else_=0)).label(
                "correct"
            ),
        )
        .join(ControlPair, col(ControlPair.pair_id) == col(ControlAnswer.pair_id))
        .group_by(col(ControlAnswer.pair_id))
        .subquery()
    )
    rows = session.execute(
        select(ControlPair, answers.c.answered, answers.c.correct, col(User.username))
        .outerjoin(answers, answers.c.pair_id == col(ControlPair.pair_id))
        .outerjoin(User, col(User.id) == col(ControlPair.admin_id))
        .order_by(col(ControlPair.id).desc())
    ).all()
    return [
        ControlRow(
            pair_id=control.pair_id,
            verdict=control.verdict,
            label=VERDICT_LABELS.get(Verdict(control.verdict), control.verdict),
            answered=int(answered or 0),
            correct=int(right or 0),
            marked_by=name,
            created_at=control.created_at,
        )
        for control, answered, right, name in rows
    ]
