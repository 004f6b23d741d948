"""A reviewer's own numbers: judged today, streak of days, median seconds per pair."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, literal, null, union_all
from sqlmodel import Session, col, select

from app.auth.models import User
from app.models_base import utcnow
from app.review.models import Judgment

STREAK_LOOKBACK_DAYS = 366
MEDIAN_DAYS = 7  # the median seconds per pair is of the past week's judgments


@dataclass(slots=True)
class ReviewerStats:
    judged_today: int
    streak_days: int
    median_seconds: float | None
    total: int


def judgment_day(session: Session) -> ColumnElement[str]:
    """A judgment's UTC day as text YYYY-MM-DD on either backend, whatever the database's time zone."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", col(Judgment.created_at)), "YYYY-MM-DD")
    # SQLite keeps UTC timestamps as text that starts with the date.
    return func.substr(col(Judgment.created_at), 1, 10)


def reviewer_stats(session: Session, *, reviewer: User, now: datetime | None = None) -> ReviewerStats:
    """Judged today, the streak of days, the median seconds of the past week, the judgments of the year.

    Every review request asks, so the database counts the days before the past week (one row a day), and
    only the past week's judgments come back one by one (their seconds make the median): a reviewer with
    a year of verdicts costs a few hundred rows, not one per verdict."""
    now = now or utcnow()
    since = now - timedelta(days=STREAK_LOOKBACK_DAYS)
    week = now - timedelta(days=MEDIAN_DAYS)
    day = judgment_day(session)
    mine = col(Judgment.reviewer_id) == reviewer.id
    older = (
        select(day, func.count(), null())
        .where(mine, col(Judgment.created_at) >= since, col(Judgment.created_at) < week)
        .group_by(day)
    )
    recent = select(day, literal(1), col(Judgment.seconds_spent)).where(
        mine, col(Judgment.created_at) >= week
    )
    rows = [
        (date.fromisoformat(str(on)), int(count), seconds)
        for on, count, seconds in session.execute(union_all(older, recent))
    ]
    today = now.date()
    days = {on for on, _, _ in rows}
    streak = 0
    cursor: date = today if today in days else today - timedelta(days=1)
    while cursor in days:
        streak += 1
        cursor -= timedelta(days=1)
    seconds_spent = [s for _, _, s in rows if s is not None]
    return ReviewerStats(
        judged_today=sum(count for on, count, _ in rows if on == today),
        streak_days=streak,
        median_seconds=round(statistics.median(seconds_spent), 1) if seconds_spent else None,
        total=sum(count for _, count, _ in rows),
    )
