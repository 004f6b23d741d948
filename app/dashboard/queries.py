"""Aggregate numbers for the overview: one GROUP BY query each, cheap at a million rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from app.auth.models import User
from app.conversations.models import Conversation, ImportBatch
from app.jobs.models import Job
from app.listing import day_start
from app.pairs.models import Pair, PairStatus
from app.patterns.models import Pattern
from app.review.models import Judgment


@dataclass(slots=True)
class Throughput:
    username: str
    judgments: int
    median_seconds: float | None


@dataclass(slots=True)
class PatternFrequency:
    slug: str
    name: str
    chosen: int
    rejected: int


def count_conversations(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Conversation)).scalar_one())


def pairs_by_status(session: Session) -> dict[str, int]:
    """Every status with its count, zeros included, in the lifecycle order."""
    counts = dict.fromkeys(PairStatus, 0)
    for status, n in session.execute(select(col(Pair.status), func.count()).group_by(col(Pair.status))):
        counts[PairStatus(status)] = int(n)
    return {str(k): v for k, v in counts.items()}


def recent_batches(session: Session, *, limit: int = 8) -> list[ImportBatch]:
    query = select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)
    return list(session.execute(query).scalars())


def recent_jobs(session: Session, *, limit: int = 8) -> list[Job]:
    return list(session.execute(select(Job).order_by(col(Job.id).desc()).limit(limit)).scalars())


def _utc_day(session: Session) -> ColumnElement[str]:
    """A judgment's UTC day as text YYYY-MM-DD on either backend."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", col(Judgment.created_at)), "YYYY-MM-DD")
    # SQLite keeps UTC timestamps as text that starts with the date.
    return func.substr(col(Judgment.created_at), 1, 10)


def judged_per_day(session: Session, *, today: date, days: int = 30) -> list[tuple[date, int]]:
    """Judgments per UTC day for the `days` days ending today, days without any included as zero."""
    first = today - timedelta(days=days - 1)
    day = _utc_day(session)
    rows = session.execute(
        select(day, func.count()).where(col(Judgment.created_at) >= day_start(first)).group_by(day)
    )
    counts = {date.fromisoformat(str(d)): int(n) for d, n in rows}
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(days)]


def reviewer_throughput(session: Session, *, since: datetime) -> list[Throughput]:
    """Judgments and median seconds per pair of every reviewer who judged since `since`, busiest first."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            select(
                col(Judgment.reviewer_id),
                func.count(),
                func.percentile_cont(0.5).within_group(col(Judgment.seconds_spent)),
            )
            .where(col(Judgment.created_at) >= since)
            .group_by(col(Judgment.reviewer_id))
        ).all()
        stats = {int(r): (int(n), None if m is None else float(m)) for r, n, m in rows}
    else:
        stats = _sqlite_medians(session, since=since)
    names = dict(
        session.execute(select(col(User.id), col(User.username)).where(col(User.id).in_(stats))).all()
    )
    out = [Throughput(names.get(uid, f"user {uid}"), n, median) for uid, (n, median) in stats.items()]
    return sorted(out, key=lambda t: (-t.judgments, t.username))


def _sqlite_medians(session: Session, *, since: datetime) -> dict[int, tuple[int, float | None]]:
    """SQLite has no median aggregate: count judgments per (reviewer, tenth of a second) and walk the counts.

    One GROUP BY instead of a window sort over every row; the median is exact to a tenth of a second.
    """
    tenths = func.round(col(Judgment.seconds_spent) * 10)
    rows = session.execute(
        select(col(Judgment.reviewer_id), tenths, func.count())
        .where(col(Judgment.created_at) >= since)
        .group_by(col(Judgment.reviewer_id), tenths)
    ).all()
    buckets: dict[int, list[tuple[float, int]]] = {}
    totals: Counter[int] = Counter()
    for reviewer_id, tenth, n in rows:
        totals[int(reviewer_id)] += int(n)
        if tenth is not None:
            buckets.setdefault(int(reviewer_id), []).append((float(tenth) / 10, int(n)))
    return {uid: (total, _median(sorted(buckets.get(uid, [])))) for uid, total in totals.items()}


def _median(counted: list[tuple[float, int]]) -> float | None:
    """The median of sorted (value, count) pairs."""
    size = sum(n for _, n in counted)
    if not size:
        return None
    wanted = ((size + 1) // 2, (size + 2) // 2)
    picked: list[float] = []
    seen = 0
    for value, n in counted:
        seen += n
        picked.extend(value for position in wanted if seen - n < position <= seen)
    return sum(picked) / 2


def pattern_frequency(session: Session) -> list[PatternFrequency]:
    """How often reviewers tagged each pattern on the answer they preferred and on the other one.

    A judgment's verdict names the preferred side in the detected orientation (`first` = the answer
    before the pushback), so patterns_first counts as chosen when the verdict is `first` and as
    rejected when it is `second`; ties and not-a-pair verdicts prefer neither and are left out.
    Grouping by the (sorted) tag lists keeps this one aggregate query: few distinct lists, many rows.
    """
    chosen: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    rows = session.execute(
        select(
            col(Judgment.patterns_first), col(Judgment.patterns_second), col(Judgment.verdict), func.count()
        )
        .where(col(Judgment.verdict).in_(("first", "second")))
        .group_by(col(Judgment.patterns_first), col(Judgment.patterns_second), col(Judgment.verdict))
    ).all()
    for first, second, verdict, n in rows:
        better, worse = (first, second) if verdict == "first" else (second, first)
        chosen.update(dict.fromkeys(better or (), int(n)))
        rejected.update(dict.fromkeys(worse or (), int(n)))
    names: dict[str, str] = dict(session.execute(select(col(Pattern.slug), col(Pattern.name))).all())
    slugs = sorted(set(chosen) | set(rejected), key=lambda s: (-(chosen[s] + rejected[s]), s))
    return [
        PatternFrequency(slug=s, name=names.get(s, s), chosen=chosen[s], rejected=rejected[s]) for s in slugs
    ]
