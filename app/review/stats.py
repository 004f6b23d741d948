"""A reviewer's own numbers: judged today, streak of days, median seconds per pair."""

from __future__ import annotations

import functools
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, TextClause, bindparam, func, text, union_all
from sqlmodel import Session, col, select

from app.auth.models import User
from app.models_base import utcnow
from app.review import queue
from app.review.models import ControlAnswer, Judgment

STREAK_LOOKBACK_DAYS = 366  # the longest streak shown
MEDIAN_DAYS = 7  # the median seconds per pair is of the judgments of the last 7 UTC days, today included

# The days before the past week that continue a streak, walked back one day at a time from `start` (a day
# that has judgments): each step is one probe of ix_judgment_reviewer_created for the day before, so the
# walk costs the streak's length, not the reviewer's history. Days are UTC days on both backends.
_WALK = {
    "postgresql": text(
        "WITH RECURSIVE walk(day, n) AS ("
        " SELECT CAST(:start AS date), 0"
        " UNION ALL"
        " SELECT walk.day - 1, walk.n + 1 FROM walk"
        " WHERE walk.n < :most AND (EXISTS ("
        "  SELECT 1 FROM judgment WHERE judgment.reviewer_id = :reviewer"
        "   AND judgment.created_at >= CAST(walk.day - 1 AS timestamp) AT TIME ZONE 'UTC'"
        "   AND judgment.created_at < CAST(walk.day AS timestamp) AT TIME ZONE 'UTC') OR EXISTS ("
        "  SELECT 1 FROM control_answer c WHERE c.reviewer_id = :reviewer"
        "   AND c.created_at >= CAST(walk.day - 1 AS timestamp) AT TIME ZONE 'UTC'"
        "   AND c.created_at < CAST(walk.day AS timestamp) AT TIME ZONE 'UTC')))"
        " SELECT max(n) FROM walk"
    ),
    # SQLite keeps UTC timestamps as text that starts with the date, so a day is a text range.
    "sqlite": text(
        "WITH RECURSIVE walk(day, n) AS ("
        " SELECT :start, 0"
        " UNION ALL"
        " SELECT date(walk.day, '-1 day'), walk.n + 1 FROM walk"
        " WHERE walk.n < :most AND (EXISTS ("
        "  SELECT 1 FROM judgment WHERE judgment.reviewer_id = :reviewer"
        "   AND judgment.created_at >= date(walk.day, '-1 day') AND judgment.created_at < walk.day) OR EXISTS ("
        "  SELECT 1 FROM control_answer c WHERE c.reviewer_id = :reviewer"
        "   AND c.created_at >= date(walk.day, '-1 day') AND c.created_at < walk.day)))"
        " SELECT max(n) FROM walk"
    ),
}


@dataclass(slots=True)
class ReviewerStats:
    judged_today: int
    streak_days: int
    median_seconds: float | None


def judgment_day(session: Session) -> ColumnElement[str]:
    """A judgment's UTC day as text YYYY-MM-DD on either backend, whatever the database's time zone."""
    return _day_of(session.get_bind().dialect.name)


def _day_of(dialect: str, created_at: Any = None) -> ColumnElement[str]:
    created = col(Judgment.created_at) if created_at is None else created_at
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", created), "YYYY-MM-DD")
    # SQLite keeps UTC timestamps as text that starts with the date.
    return func.substr(created, 1, 10)


@functools.cache
def _week(dialect: str) -> CompoundSelect:
    """The day and seconds of each of a reviewer's verdicts since a time, with the queue's count of pairs left
    on each row (an uncorrelated subquery: counted once). Built once per dialect (building and keying it on
    every request cost more than running it). Bound: reviewer, since, and what `queue.remaining_params` gives.

    Verdicts on control pairs count as any other: they are kept apart from judgments, but a reviewer whose
    count did not go up would know the pair was a control."""
    judged = select(_day_of(dialect), col(Judgment.seconds_spent), queue.REMAINING).where(
        col(Judgment.reviewer_id) == bindparam("reviewer"), col(Judgment.created_at) >= bindparam("since")
    )
    answered = select(
        _day_of(dialect, col(ControlAnswer.created_at)), col(ControlAnswer.seconds_spent), queue.REMAINING
    ).where(
        col(ControlAnswer.reviewer_id) == bindparam("reviewer"),
        col(ControlAnswer.created_at) >= bindparam("since"),
    )
    return union_all(judged, answered)


def reviewer_numbers(
    session: Session, *, reviewer: User, now: datetime | None = None
) -> tuple[ReviewerStats, int]:
    """What every review screen shows: judged today, the streak of days (UTC), the median seconds of the past
    week, and how many pairs are left for the reviewer (`queue.remaining`).

    Every review request asks, so what it reads is bounded: the past week's judgments (their seconds make
    the median, their days the streak so far), with the queue's count on each row, and, only when the streak
    spans that whole week, one probe per earlier day of the streak (`_WALK`). A reviewer's years of verdicts
    are never read. A reviewer with no judgment in the past week has no row: the count is asked alone."""
    now = now or utcnow()
    week = _week(session.get_bind().dialect.name)
    params = {"reviewer": reviewer.id, "since": _week_start(now)}
    rows = session.execute(week, params | queue.remaining_params(session, reviewer=reviewer, now=now)).all()
    stats = _stats(session, reviewer=reviewer, now=now, rows=[(on, seconds) for on, seconds, _ in rows])
    left = int(rows[0][2]) if rows else queue.remaining(session, reviewer=reviewer, now=now)
    return stats, left


def _week_start(now: datetime) -> datetime:
    """The start of the first UTC day of the past week (MEDIAN_DAYS days, today included)."""
    first = now.date() - timedelta(days=MEDIAN_DAYS - 1)
    return datetime.combine(first, time.min, tzinfo=now.tzinfo)


def _stats(
    session: Session, *, reviewer: User, now: datetime, rows: list[tuple[str, float | None]]
) -> ReviewerStats:
    """The numbers from the past week's (day, seconds) rows, and the walk before it when the streak needs it."""
    today = now.date()
    first = today - timedelta(days=MEDIAN_DAYS - 1)
    per_day = Counter(date.fromisoformat(str(on)) for on, _ in rows)
    streak = 0
    cursor = today if today in per_day else today - timedelta(days=1)
    while cursor in per_day:
        streak += 1
        cursor -= timedelta(days=1)
    if cursor < first and streak < STREAK_LOOKBACK_DAYS:
        streak += _judged_days_before(
            session, reviewer=reviewer, day=first, most=STREAK_LOOKBACK_DAYS - streak
        )
    seconds_spent = [seconds for _, seconds in rows if seconds is not None]
    return ReviewerStats(
        judged_today=per_day[today],
        streak_days=streak,
        median_seconds=round(statistics.median(seconds_spent), 1) if seconds_spent else None,
    )


def _judged_days_before(session: Session, *, reviewer: User, day: date, most: int) -> int:
    """How many days right before `day`, one after another, have a judgment by the reviewer (at most `most`)."""
    dialect = session.get_bind().dialect.name
    walk: TextClause = _WALK["postgresql" if dialect == "postgresql" else "sqlite"]
    start: date | str = day if dialect == "postgresql" else day.isoformat()
    return int(
        session.execute(walk, {"start": start, "most": most, "reviewer": reviewer.id}).scalar_one() or 0
    )
