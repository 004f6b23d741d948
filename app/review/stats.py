"""A reviewer's own numbers: judged today, streak of days, median seconds per pair."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from app.auth.models import User
from app.models_base import utcnow
from app.review.models import Judgment

STREAK_LOOKBACK_DAYS = 366


@dataclass(slots=True)
class ReviewerStats:
    judged_today: int
    streak_days: int
    median_seconds: float | None
    total: int


def reviewer_stats(session: Session, *, reviewer: User, now: datetime | None = None) -> ReviewerStats:
    now = now or utcnow()
    since = now - timedelta(days=STREAK_LOOKBACK_DAYS)
    rows = session.execute(
        select(col(Judgment.created_at), col(Judgment.seconds_spent)).where(
            col(Judgment.reviewer_id) == reviewer.id,
            col(Judgment.created_at) >= since,
        )
    ).all()
    today = now.date()
    days = {created.date() for created, _ in rows}
    streak = 0
    day: date = today if today in days else today - timedelta(days=1)
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    recent = [s for created, s in rows if s is not None and created >= now - timedelta(days=7)]
    return ReviewerStats(
        judged_today=sum(1 for created, _ in rows if created.date() == today),
        streak_days=streak,
        median_seconds=round(statistics.median(recent), 1) if recent else None,
        total=len(rows),
    )
