"""The review queue: leases on pairs so reviewers are not served the same pair beyond the overlap."""

from __future__ import annotations

import functools
import hashlib
import random
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    true,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.auth.models import User
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.review.models import Assignment, ControlAnswer, ControlPair, Judgment
from app.settings.service import get_value

OPEN_STATUSES = (PairStatus.candidate, PairStatus.conflict)
# The queue's partial index (ix_pair_open_queue) holds the pairs of these statuses. A planner uses it only
# when the query states its very condition: the statuses written out, not bound (PostgreSQL's prepared
# statements), and compared to true as a whole, which also keeps SQLite off the status indexes (it would
# otherwise search ix_pair_status_score and sort every open pair, without table statistics).
OPEN_STATUS = (
    col(Pair.status).in_([literal_column(f"'{status.value}'") for status in OPEN_STATUSES]) == true()
)
# The conversations of a reviewer's last few verdicts go to the back of the line (never out of it), so a
# conversation with 30 candidates does not fill 30 screens in a row.
RECENT_CONVERSATIONS = 3
# Pairs found full after locking are passed over; beyond this many the reviewer simply retries.
MAX_PICK_ATTEMPTS = 20
# Decides which served pairs are controls (`lease_next`); tests seed it or put another in its place.
control_random = random.Random()


def left_side_for(*, pair_id: int, reviewer_id: int) -> str:
    """Which detected answer a reviewer sees on the left: fixed per (pair, reviewer), unbiased overall."""
    digest = hashlib.sha256(f"{pair_id}:{reviewer_id}".encode()).digest()
    return "first" if digest[0] % 2 == 0 else "second"


# Built once (building and keying it each time cost more than running it): bound reviewer_id and now.
_CURRENT = (
    select(Assignment)
    .where(
        col(Assignment.reviewer_id) == bindparam("reviewer_id"),
        col(Assignment.expires_at) > bindparam("now"),
        col(Assignment.skipped).is_(False),
        ~exists().where(
            and_(
                col(Judgment.pair_id) == Assignment.pair_id,
                col(Judgment.reviewer_id) == bindparam("reviewer_id"),
            )
        ),
    )
    .order_by(col(Assignment.leased_at).desc())
    .limit(1)
)


def current_assignment(session: Session, *, reviewer: User, now: datetime | None = None) -> Assignment | None:
    """The reviewer's live lease on a pair they have not judged yet, if any."""
    return session.exec(_CURRENT, params={"reviewer_id": reviewer.id, "now": now or utcnow()}).first()


def judgments_of(pair_id: Any) -> ScalarSelect[int]:
    """How many judgments the pair `pair_id` (a column or a bound parameter) has."""
    return (
        select(func.count()).select_from(Judgment).where(col(Judgment.pair_id) == pair_id).scalar_subquery()
    )


def others_leases_of(pair_id: Any) -> ScalarSelect[int]:
    """How many live leases other reviewers hold on the pair `pair_id`. Bound: reviewer_id, now."""
    return (
        select(func.count())
        .select_from(Assignment)
        .where(
            col(Assignment.pair_id) == pair_id,
            col(Assignment.reviewer_id) != bindparam("reviewer_id"),
            col(Assignment.expires_at) > bindparam("now"),
            col(Assignment.skipped).is_(False),
        )
        .scalar_subquery()
    )


def _open_conditions() -> list[Any]:
    """Conditions of a pair a reviewer may be served now: open, above threshold, room within the overlap.

    Bound parameters: reviewer_id, threshold, overlap, now (see `_params`).
    """
    reviewer_id: BindParameter[int] = bindparam("reviewer_id")
    mine = select(col(Assignment.pair_id)).where(
        col(Assignment.reviewer_id) == reviewer_id,
        col(Assignment.skipped).is_(True),
    )
    mine_judged = select(col(Judgment.pair_id)).where(col(Judgment.reviewer_id) == reviewer_id)
    return [
        OPEN_STATUS,
        col(Pair.score) >= bindparam("threshold"),
        col(Pair.id).not_in(mine),
        col(Pair.id).not_in(mine_judged),
        judgments_of(Pair.id) + others_leases_of(Pair.id) < bindparam("overlap"),
    ]


# The counter runs on every served page, inside the request's write transaction (on SQLite it holds the write
# lock): it stops at 100, and both statements are built once, since building and keying them each time cost
# more than running them.
REMAINING_CAP = 100
_OPEN = _open_conditions()
_REMAINING = select(func.count()).select_from(
    select(col(Pair.id)).where(*_OPEN).limit(REMAINING_CAP).subquery()
)
# The same count as a column of another statement (the reviewer's numbers ask it with theirs): bound as
# `remaining_params` gives.
REMAINING = _REMAINING.scalar_subquery()
# The best open pair: highest score first, read in that order from ix_pair_open_queue, so a pick stops at
# the first pair that passes instead of sorting the whole queue (280 ms at 31,000 open pairs, 0.5 ms so).
# The conversations of the reviewer's last verdicts wait behind every other one: the first query leaves
# them out, the second (run only when the first finds nothing) takes only them.
_BY_SCORE = (col(Pair.score).desc(), col(Pair.id))
# The conversations of the reviewer's last RECENT_CONVERSATIONS verdicts, asked inside the pick itself (one
# statement fewer per verdict): bound reviewer_id.
_RECENT = (
    select(col(Pair.conversation_id))
    .join(Judgment, col(Judgment.pair_id) == col(Pair.id))
    .where(col(Judgment.reviewer_id) == bindparam("reviewer_id"))
    .order_by(col(Judgment.created_at).desc(), col(Judgment.id).desc())
    .limit(RECENT_CONVERSATIONS)
)
_BEST_OPEN = (
    select(col(Pair.id))
    .where(*_OPEN, col(Pair.conversation_id).not_in(_RECENT))
    .order_by(*_BY_SCORE)
    .limit(1)
)
_BEST_OPEN_RECENT = (
    select(col(Pair.id)).where(*_OPEN, col(Pair.conversation_id).in_(_RECENT)).order_by(*_BY_SCORE).limit(1)
)


def _locked(query: SelectOfScalar[int | None]) -> SelectOfScalar[int | None]:
    """A pick that locks the pair it returns, skipping pairs another reviewer is leasing (PostgreSQL)."""
    return query.with_for_update(skip_locked=True, of=Pair)


# The picks as `_lease_best` runs them on PostgreSQL, built once (every verdict picks).
_LOCKED_PICKS = {query: _locked(query) for query in (_BEST_OPEN, _BEST_OPEN_RECENT)}

# A control pair for the reviewer (app/review/controls.py): one whose pair is still decided, that they never
# judged, answered or skipped, oldest control first. One statement: the controls in id order, each looked up
# in the unique (pair_id, reviewer_id) indexes of judgment, control_answer and assignment. Bound: reviewer_id.
DECIDED_STATUSES = (PairStatus.accepted, PairStatus.tie, PairStatus.not_a_pair)
_CONTROL_PICK = (
    select(col(ControlPair.pair_id))
    .join(Pair, col(Pair.id) == col(ControlPair.pair_id))
    .where(
        col(Pair.status).in_([literal_column(f"'{status.value}'") for status in DECIDED_STATUSES]),
        ~exists().where(
            col(Judgment.pair_id) == col(ControlPair.pair_id),
            col(Judgment.reviewer_id) == bindparam("reviewer_id"),
        ),
        ~exists().where(
            col(ControlAnswer.pair_id) == col(ControlPair.pair_id),
            col(ControlAnswer.reviewer_id) == bindparam("reviewer_id"),
        ),
        ~exists().where(
            col(Assignment.pair_id) == col(ControlPair.pair_id),
            col(Assignment.reviewer_id) == bindparam("reviewer_id"),
            col(Assignment.skipped).is_(True),
        ),
    )
    .order_by(col(ControlPair.id))
    .limit(1)
)


def _params(session: Session, *, reviewer: User, now: datetime) -> dict[str, Any]:
    return {
        "reviewer_id": reviewer.id,
        "threshold": float(get_value(session, key="detection_threshold")),
        "overlap": int(get_value(session, key="overlap")),
        "now": now,
    }


def remaining(session: Session, *, reviewer: User, now: datetime | None = None) -> int:
    """How many pairs this reviewer can still be served, the one on screen included, up to REMAINING_CAP."""
    return int(
        session.execute(_REMAINING, remaining_params(session, reviewer=reviewer, now=now)).scalar_one()
    )


def remaining_params(session: Session, *, reviewer: User, now: datetime | None = None) -> dict[str, Any]:
    """What `REMAINING` binds for this reviewer now."""
    return _params(session, reviewer=reviewer, now=now or utcnow())


def lease_next(session: Session, *, reviewer: User, now: datetime | None = None) -> Assignment | None:
    """Keep the reviewer's live lease, or lease the best open pair nobody else holds beyond the overlap."""
    now = now or utcnow()
    held = current_assignment(session, reviewer=reviewer, now=now)
    if held is not None:
        issue_token(session, assignment=held, now=now)
        return held
    params = _params(session, reviewer=reviewer, now=now)
    params["expires"] = now + timedelta(minutes=int(get_value(session, key="lease_minutes")))
    # The control rate is read with the other settings (no statement of its own): at 0 nothing more runs.
    percent = int(get_value(session, key="control_percent"))
    if percent > 0 and control_random.random() * 100 < percent:
        control = lease_control(session, params=params, reviewer=reviewer)
        if control is not None:
            return control
    return _lease_best(session, query=_BEST_OPEN, params=params, reviewer=reviewer) or _lease_best(
        session, query=_BEST_OPEN_RECENT, params=params, reviewer=reviewer
    )


# The columns a lease sets, bound by their names; renewing the reviewer's earlier assignment of the pair (an
# expired lease) sets only `_RENEWED`, so its screen sides stay.
_LEASE_COLUMNS = (
    "pair_id",
    "reviewer_id",
    "left_side",
    "leased_at",
    "expires_at",
    "skipped",
    "token",
    "served_at",
    "control",
)
_RENEWED = ("leased_at", "expires_at", "token", "served_at", "control")


@functools.cache
def _lease_statement(dialect: str, control: bool = False) -> Select[tuple[Assignment]]:
    """One statement that leases a pair if it still has room within the overlap (judgments plus others' live
    leases): it inserts the assignment or renews the reviewer's earlier one, and returns it. Built once per
    dialect (both spell the upsert `ON CONFLICT … DO UPDATE`). Bound: `_LEASE_COLUMNS`, now, overlap.
    A control pair (`control`) is decided: it is leased without the overlap check."""
    table = Assignment.__table__  # type: ignore[attr-defined]
    row = select(*(bindparam(name, type_=table.c[name].type) for name in _LEASE_COLUMNS))
    if not control:
        row = row.where(
            judgments_of(bindparam("pair_id")) + others_leases_of(bindparam("pair_id")) < bindparam("overlap")
        )
    upsert = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
    statement = (
        upsert.from_select(list(_LEASE_COLUMNS), row)
        .on_conflict_do_update(
            index_elements=["pair_id", "reviewer_id"], set_={name: upsert.excluded[name] for name in _RENEWED}
        )
        .returning(*table.c)
    )
    return select(Assignment).from_statement(statement)  # type: ignore[return-value]


def _lease_best(
    session: Session, *, query: SelectOfScalar[int | None], params: dict[str, Any], reviewer: User
) -> Assignment | None:
    """Lease the best open pair of `query` (`_BEST_OPEN` or `_BEST_OPEN_RECENT`, with `params`).

    On PostgreSQL the pick locks the pair (SKIP LOCKED keeps concurrent reviewers off a pair being leased
    right now), but a lease committed just before the lock was taken is invisible to the snapshot that chose
    the pair: the lease itself counts again (`_lease`) and a pair found full is passed over.
    """
    if session.get_bind().dialect.name != "postgresql":
        pair_id = session.execute(query, params).scalar_one_or_none()
        return (
            None
            if pair_id is None
            else _lease(session, pair_id=int(pair_id), params=params, reviewer=reviewer)
        )
    passed: list[int] = []
    for _ in range(MAX_PICK_ATTEMPTS):
        candidates = _locked(query.where(col(Pair.id).not_in(passed))) if passed else _LOCKED_PICKS[query]
        pair_id = session.execute(candidates, params).scalar_one_or_none()
        if pair_id is None:
            return None
        leased = _lease(session, pair_id=int(pair_id), params=params, reviewer=reviewer)
        if leased is not None:
            return leased
        passed.append(int(pair_id))
    return None


def lease_control(session: Session, *, params: dict[str, Any], reviewer: User) -> Assignment | None:
    """Lease the reviewer's next control pair (`_CONTROL_PICK`), or None when none is left for them."""
    pair_id = session.execute(_CONTROL_PICK, {"reviewer_id": reviewer.id}).scalar_one_or_none()
    if pair_id is None:
        return None
    return _lease(session, pair_id=int(pair_id), params=params, reviewer=reviewer, control=True)


def _lease(
    session: Session, *, pair_id: int, params: dict[str, Any], reviewer: User, control: bool = False
) -> Assignment | None:
    """Lease the pair to the reviewer with a fresh screen token (`_lease_statement`); None when it is full."""
    reviewer_id = reviewer.id or 0
    values = {
        **params,
        "pair_id": pair_id,
        "left_side": left_side_for(pair_id=pair_id, reviewer_id=reviewer_id),
        "leased_at": params["now"],
        "expires_at": params["expires"],
        "skipped": False,
        "token": secrets.token_urlsafe(16),
        "served_at": params["now"],
        "control": control,
    }
    statement = _lease_statement(session.get_bind().dialect.name, control)
    return session.execute(
        statement, values, execution_options={"populate_existing": True}
    ).scalar_one_or_none()


def warm_up(session: Session, *, reviewer: User, writes: bool) -> None:
    """Run the queue's statements once as `lease_next` runs them (the same statements, bound by the same
    names: a compiled statement is kept per set of names), with values that match no pair: no score reaches
    2, and an overlap of 0 leaves no room to lease. For a web process's start-up; `writes`: also the lease
    (PostgreSQL; on SQLite it would wait for the write lock)."""
    now = utcnow()
    current_assignment(session, reviewer=reviewer, now=now)
    params = _params(session, reviewer=reviewer, now=now) | {"threshold": 2.0, "overlap": 0, "expires": now}
    for query in (_BEST_OPEN, _BEST_OPEN_RECENT):
        _lease_best(session, query=query, params=params, reviewer=reviewer)
    if writes:
        _lease(session, pair_id=0, params=params, reviewer=reviewer)


def issue_token(session: Session, *, assignment: Assignment, now: datetime | None = None) -> str:
    """A fresh token each time a pair is served (POST next, undo): pages of earlier servings go stale."""
    assignment.token = secrets.token_urlsafe(16)
    assignment.served_at = now or utcnow()
    session.add(assignment)
    session.flush()
    return assignment.token


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
