"""Judgments: submit, undo, edit the gold answer; the pair's status follows from its judgments."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy
from fastapi import BackgroundTasks
from sqlalchemy import and_, bindparam, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.models import User
from app.errors import ConflictError, NotFoundError, ValidationFailedError
from app.models_base import utcnow
from app.pairs.learning_service import DUE_COLUMNS, DueInputs, start_training_if_due
from app.pairs.models import Pair, PairStatus
from app.pairs.service import IMPORTED_DETECTOR
from app.patterns.models import TaxonomyVersion
from app.patterns.service import list_patterns
from app.review.adjudication import STATUS_OF
from app.review.models import Adjudication, Assignment, ControlAnswer, Judgment, Verdict
from app.review.queue import OPEN_STATUSES, left_side_for, others_leases_of
from app.settings.service import get_value

# Undo reaches this far back into the reviewer's own judgments.
UNDO_WINDOW = timedelta(hours=1)
MAX_SECONDS_COUNTED = 30 * 60


@dataclass(slots=True)
class JudgmentInput:
    """A verdict in the detected orientation (first = answer before the pushback)."""

    verdict: Verdict
    patterns_first: list[str] = field(default_factory=list)
    patterns_second: list[str] = field(default_factory=list)
    edited_text: str | None = None
    comment: str | None = None
    flagged: bool = False


def _validate(session: Session, data: JudgmentInput) -> None:
    known = {p.slug for p in list_patterns(session, active_only=True)}
    unknown = sorted((set(data.patterns_first) | set(data.patterns_second)) - known)
    if unknown:
        raise ValidationFailedError(f"unknown patterns: {', '.join(unknown)}")
    if data.edited_text is not None and data.verdict not in (Verdict.first, Verdict.second):
        raise ValidationFailedError("a gold edit needs a verdict that prefers one answer")
    if data.edited_text is not None and not data.edited_text.strip():
        raise ValidationFailedError("the edited answer is empty")
    if data.comment is not None and len(data.comment) > 5000:
        raise ValidationFailedError("comment is longer than 5,000 characters")


# The pair, locked (on PostgreSQL; SQLite serializes writers with BEGIN IMMEDIATE already), and this reviewer's
# assignment of it, in one statement: bound pair_id, reviewer_id. Fresh from the row even when the session
# loaded the pair before the lock.
_LOCKED = (
    select(Pair, Assignment)
    .outerjoin(
        Assignment,
        and_(
            col(Assignment.pair_id) == col(Pair.id),
            col(Assignment.reviewer_id) == bindparam("reviewer_id"),
        ),
    )
    .where(col(Pair.id) == bindparam("pair_id"))
    .with_for_update(of=Pair)
    .execution_options(populate_existing=True)
)


def lock_pair(session: Session, *, reviewer: User, pair_id: int) -> tuple[Pair, Assignment | None]:
    """Lock the pair a verdict is for (so concurrent submits by different reviewers cannot both pass the
    overlap check) and read the reviewer's assignment of it."""
    found = session.execute(_LOCKED, {"pair_id": pair_id, "reviewer_id": reviewer.id}).first()
    if found is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    return found[0], found[1]


def submit(
    session: Session,
    *,
    reviewer: User,
    pair_id: int,
    data: JudgmentInput,
    screen_token: str | None = None,
    locked: tuple[Pair, Assignment | None] | None = None,
    background: BackgroundTasks | None = None,
) -> Judgment:
    """Store one judgment per (pair, reviewer), within the overlap, and update the pair's status.

    `screen_token` is given for verdicts from the review screen: it must be the lease's current token.
    `locked` is what `lock_pair` returned in this transaction, when the caller has locked the pair already.
    `background` (the request's tasks) queues a training of the scorer when this verdict makes one due: every
    verdict is a label for it.
    """
    _validate(session, data)
    pair, assignment = locked or lock_pair(session, reviewer=reviewer, pair_id=pair_id)
    now = utcnow()
    room = _check_room(session, pair=pair, reviewer=reviewer, assignment=assignment, now=now)
    if screen_token is not None:
        if assignment is None:
            raise NotFoundError(f"pair {pair_id} is not in your queue")
        check_render(session, assignment=assignment, token=screen_token, now=now)
    seconds = None
    if assignment is not None:
        seconds = min((now - assignment.leased_at).total_seconds(), MAX_SECONDS_COUNTED)
    judgment = Judgment(
        pair_id=pair_id,
        reviewer_id=reviewer.id or 0,
        verdict=data.verdict,
        left_side=assignment.left_side
        if assignment
        else left_side_for(pair_id=pair_id, reviewer_id=reviewer.id or 0),
        patterns_first=sorted(set(data.patterns_first)),
        patterns_second=sorted(set(data.patterns_second)),
        edited_text=data.edited_text,
        edited_at=now if data.edited_text is not None else None,
        edited_by_id=reviewer.id if data.edited_text is not None else None,
        comment=(data.comment or "").strip() or None,
        flagged=data.flagged,
        seconds_spent=seconds,
        taxonomy_version_id=room.version_id,
        created_at=now,
        updated_at=now,
    )
    session.add(judgment)
    if assignment is not None:
        session.delete(assignment)  # written with the judgment, in one flush
    try:
        # No savepoint: a duplicate ends the request, whose transaction is rolled back as a whole.
        session.flush()
    except IntegrityError:
        raise ConflictError("You already judged this pair; press u to undo your last verdict.") from None
    # The pair is locked, so its judgments are those the room check counted, and this one.
    status = _set_status(
        session, pair_id=pair_id, inputs=room.status.with_verdict(data.verdict), overlap=room.overlap
    )
    if background is not None:
        # The rule's counts as the room check read them, with this pair's new status: an imported pair is
        # no label for the scorer.
        due = room.due if pair.detector == IMPORTED_DETECTOR else room.due.with_label(status)
        start_training_if_due(session, background, user_id=reviewer.id, inputs=due)
    return judgment


def warm_up(session: Session, *, reviewer: User, writes: bool) -> None:
    """Run a verdict's own statements once, matching no pair (a web process's start-up); `writes`: also the
    status write (PostgreSQL; on SQLite it would wait for the write lock)."""
    session.execute(_LOCKED, {"pair_id": 0, "reviewer_id": reviewer.id}).all()
    session.execute(_ROOM, {"pair_id": 0, "reviewer_id": reviewer.id, "now": utcnow()}).all()
    if writes:
        session.execute(
            _SET_STATUS,
            {"pair_id": 0, "new_status": PairStatus.candidate, "new_swapped": False, "now": utcnow()},
        )


def check_render(
    session: Session, *, assignment: Assignment, token: str, now: datetime | None = None
) -> None:
    """Refuse a screen verdict made on another render of the pair, or too soon after it was shown."""
    now = now or utcnow()
    if not token or not assignment.token or not secrets.compare_digest(token, assignment.token):
        raise ConflictError(
            "This verdict was made on a screen that is no longer current (another tab, or a key pressed "
            "while the page changed); it was not saved. Look at the pair on screen and judge it again."
        )
    min_ms = int(get_value(session, key="review_min_ms"))
    served = assignment.served_at or assignment.leased_at
    if (now - served).total_seconds() * 1000 < min_ms:
        raise ConflictError(
            f"That verdict came less than {min_ms} ms after the pair was shown, so it was not saved "
            "(a double key press?). Read both answers, then judge again."
        )


@dataclass(slots=True, frozen=True)
class _StatusInputs:
    """What a pair's status follows from: an admin's adjudication, and the number of judgments, of
    distinct verdicts among them, and one of them (the verdict when all agree)."""

    adjudicated: str | None
    judged: int
    distinct: int
    verdict: str | None

    def with_verdict(self, verdict: Verdict) -> _StatusInputs:
        """The inputs once one more judgment with `verdict` is stored."""
        agreed = self.distinct == 0 or (self.distinct == 1 and self.verdict == verdict)
        return _StatusInputs(
            self.adjudicated, self.judged + 1, 1 if agreed else 2, verdict.value if agreed else None
        )


@dataclass(slots=True, frozen=True)
class _Room:
    """What a verdict records and decides with: the current taxonomy version, the overlap, the pair's status
    inputs before it, and what the scorer's training rule reads before it."""

    version_id: int | None
    overlap: int
    status: _StatusInputs
    due: DueInputs


# `_StatusInputs` of one pair, as columns: bound pair_id.
_ADJUDICATED = (
    select(col(Adjudication.verdict))
    .where(col(Adjudication.pair_id) == bindparam("pair_id"))
    .limit(1)
    .scalar_subquery()
)
_VERDICTS = (
    select(func.count(), func.count(func.distinct(col(Judgment.verdict))), func.min(col(Judgment.verdict)))
    .where(col(Judgment.pair_id) == bindparam("pair_id"))
    .subquery()
)
_STATUS_INPUTS = select(_ADJUDICATED, *_VERDICTS.c)

# The room check (this reviewer's judgment, others' live leases), the current taxonomy version (the judgment
# records it), the pair's status inputs and the training rule's inputs in one statement, built once: bound
# pair_id, reviewer_id, now. (SQLAlchemy's select: SQLModel's types only a few columns.)
_ROOM = sqlalchemy.select(
    select(func.count())
    .select_from(Judgment)
    .where(
        col(Judgment.pair_id) == bindparam("pair_id"), col(Judgment.reviewer_id) == bindparam("reviewer_id")
    )
    .scalar_subquery(),
    others_leases_of(bindparam("pair_id")),
    select(func.max(TaxonomyVersion.id)).scalar_subquery(),
    _ADJUDICATED,
    *_VERDICTS.c,
    *DUE_COLUMNS,
)


def _check_room(
    session: Session, *, pair: Pair, reviewer: User, assignment: Assignment | None, now: object
) -> _Room:
    """Refuse a verdict the pair has no room for; returns what the verdict records and decides with."""
    mine, held_by_others, version_id, *inputs = session.execute(
        _ROOM, {"pair_id": pair.id, "reviewer_id": reviewer.id, "now": now}
    ).one()
    status, due = _StatusInputs(*inputs[:4]), DueInputs(*inputs[4:])
    if mine:
        raise ConflictError("You already judged this pair; press u to undo your last verdict.")
    if pair.status not in OPEN_STATUSES:
        raise ConflictError(f"This pair is already decided ({pair.status}); it needs no more judgments.")
    overlap = int(get_value(session, key="overlap"))
    if status.judged + held_by_others + 1 > overlap:
        if assignment is not None:
            raise ConflictError(
                "Your hold on this pair expired and it went to another reviewer; your verdict "
                "was not saved. Press any key to get the next pair."
            )
        raise ConflictError("This pair already has all the judgments it needs.")
    return _Room(version_id, overlap, status, due)


def refresh_status(session: Session, *, pair_id: int) -> str:
    """Recompute a pair's status and orientation from its judgments; an admin's adjudication prevails."""
    inputs = _StatusInputs(*session.execute(_STATUS_INPUTS, {"pair_id": pair_id}).one())
    return _set_status(
        session, pair_id=pair_id, inputs=inputs, overlap=int(get_value(session, key="overlap"))
    )


# The status write, built once (every verdict writes it): bound pair_id, new_status, new_swapped, now. An
# adjudicated pair keeps its version: the admin's decision already counted.
_SET_STATUS = (
    update(Pair)
    .where(col(Pair.id) == bindparam("pair_id"))
    .values(
        status=bindparam("new_status"),
        swapped=bindparam("new_swapped"),
        version=Pair.version + 1,
        updated_at=bindparam("now"),
    )
    .execution_options(synchronize_session=False)
)
_SET_ADJUDICATED = (
    update(Pair)
    .where(col(Pair.id) == bindparam("pair_id"))
    .values(status=bindparam("new_status"), swapped=bindparam("new_swapped"), updated_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
_WRITTEN = ["status", "swapped", "version", "updated_at"]


def _set_status(session: Session, *, pair_id: int, inputs: _StatusInputs, overlap: int) -> str:
    """Write the status (and orientation) that `inputs` decide."""
    if inputs.adjudicated is not None:
        statement, status = _SET_ADJUDICATED, STATUS_OF[Verdict(inputs.adjudicated)]
        swapped = inputs.adjudicated == Verdict.first
    else:
        statement, status, swapped = _SET_STATUS, PairStatus.candidate, False
        if inputs.distinct > 1:
            status = PairStatus.conflict
        elif inputs.judged and inputs.judged >= overlap:
            status = {
                Verdict.first: PairStatus.accepted,
                Verdict.second: PairStatus.accepted,
                Verdict.tie: PairStatus.tie,
                Verdict.not_a_pair: PairStatus.not_a_pair,
            }[Verdict(str(inputs.verdict))]
            swapped = inputs.verdict == Verdict.first
    session.execute(
        statement, {"pair_id": pair_id, "new_status": status, "new_swapped": swapped, "now": utcnow()}
    )
    # A statement built with bound values cannot be replayed on the loaded pair (the ORM would compare it
    # with an unbound id and match nothing): the pair, if loaded, reads its new values when next used.
    loaded = session.identity_map.get(session.identity_key(Pair, pair_id))
    if loaded is not None:
        session.expire(loaded, _WRITTEN)
    return status


def undo_last(session: Session, *, reviewer: User) -> int | None:
    """Remove the reviewer's most recent judgment or control answer (within the undo window) and lease its
    pair back to them."""
    now = utcnow()
    judgment = session.exec(
        select(Judgment)
        .where(col(Judgment.reviewer_id) == reviewer.id, col(Judgment.created_at) >= now - UNDO_WINDOW)
        .order_by(col(Judgment.created_at).desc(), col(Judgment.id).desc())
        .limit(1)
    ).first()
    control = session.exec(
        select(ControlAnswer)
        .where(
            col(ControlAnswer.reviewer_id) == reviewer.id, col(ControlAnswer.created_at) >= now - UNDO_WINDOW
        )
        .order_by(col(ControlAnswer.created_at).desc())
        .limit(1)
    ).first()
    if control is not None and (judgment is None or control.created_at >= judgment.created_at):
        return _undo_control(session, reviewer=reviewer, answer=control, now=now)
    if judgment is None:
        return None
    pair_id = judgment.pair_id
    session.delete(judgment)
    session.flush()
    refresh_status(session, pair_id=pair_id)
    _lease_again(
        session, pair_id=pair_id, reviewer=reviewer, left_side=judgment.left_side, now=now, control=False,
        draft={
            "patterns_first": list(judgment.patterns_first), "patterns_second": list(judgment.patterns_second),
            "comment": judgment.comment, "flagged": judgment.flagged, "edited_text": judgment.edited_text,
            "verdict": judgment.verdict,
        },
    )  # fmt: skip
    return pair_id


def _undo_control(session: Session, *, reviewer: User, answer: ControlAnswer, now: datetime) -> int:
    """Remove a control answer and lease its control back to the reviewer, as a judgment's undo would."""
    pair_id = answer.pair_id
    session.delete(answer)
    _lease_again(
        session, pair_id=pair_id, reviewer=reviewer, left_side=answer.left_side, now=now, control=True,
        draft={"comment": answer.comment, "flagged": answer.flagged, "verdict": answer.verdict},
    )  # fmt: skip
    return pair_id


def _lease_again(
    session: Session,
    *,
    pair_id: int,
    reviewer: User,
    left_side: str,
    now: datetime,
    control: bool,
    draft: dict[str, Any],
) -> None:
    """After an undo: the pair leased to the reviewer again, on the same sides, with the undone verdict as the
    screen's draft (the reviewer's earlier lease of it is replaced)."""
    session.execute(
        delete(Assignment).where(
            and_(col(Assignment.pair_id) == pair_id, col(Assignment.reviewer_id) == reviewer.id)
        )
    )
    session.flush()
    lease_minutes = int(get_value(session, key="lease_minutes"))
    session.add(
        Assignment(
            pair_id=pair_id, reviewer_id=reviewer.id or 0, left_side=left_side, leased_at=now,
            expires_at=now + timedelta(minutes=lease_minutes), token=secrets.token_urlsafe(16), served_at=now,
            control=control, draft=draft,
        )
    )  # fmt: skip


def own_judgment(session: Session, *, reviewer: User, judgment_id: int) -> Judgment:
    """A judgment of this reviewer; other reviewers' judgments do not exist for them (404, not 403)."""
    judgment = session.get(Judgment, judgment_id)
    if judgment is None or judgment.reviewer_id != reviewer.id:
        raise NotFoundError(f"judgment {judgment_id} does not exist")
    return judgment


def edit_judgment(
    session: Session,
    *,
    reviewer: User,
    judgment_id: int,
    version: int,
    edited_text: str | None,
    comment: str | None,
    flagged: bool,
) -> Judgment:
    """Change gold text, comment or flag; a stale `version` (edited elsewhere meanwhile) is refused."""
    judgment = own_judgment(session, reviewer=reviewer, judgment_id=judgment_id)
    if edited_text is not None and judgment.verdict not in (Verdict.first, Verdict.second):
        raise ValidationFailedError("only a judgment that prefers one answer can carry a gold edit")
    now = utcnow()
    values: dict[str, object] = {
        "comment": (comment or "").strip() or None,
        "flagged": flagged,
        "version": Judgment.version + 1,
        "updated_at": now,
    }
    if edited_text is not None and edited_text != judgment.edited_text:
        if not edited_text.strip():
            raise ValidationFailedError("the edited answer is empty")
        values.update(edited_text=edited_text, edited_at=now, edited_by_id=reviewer.id)
    result = session.exec(
        update(Judgment)
        .where(col(Judgment.id) == judgment_id, col(Judgment.version) == version)
        .values(**values)
    )
    if not result.rowcount:
        raise ConflictError(
            "This judgment was changed in another tab or window after you opened it. "
            "Reload to see the current text, then make your change again."
        )
    session.refresh(judgment)
    return judgment
