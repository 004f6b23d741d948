"""Aggregate numbers for the overview: one GROUP BY query each; aggregates of large tables are cached.

On PostgreSQL a table whose statistics put it at LARGE_TABLE rows or more is not aggregated by page
views: the worker computes its figures every minute into `cached_aggregate` (refresh_aggregates, an
on_recover hook, so also at worker start), and every web process reads that row. When the row is
missing or older than STALE_SECONDS (no worker running), a page view computes the figure once and its
process keeps it CACHE_SECONDS. Small tables, and SQLite (which counts a million rows from an index in
milliseconds), are aggregated exactly on every view.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col

from app.auth.models import User
from app.conversations.models import Conversation, ImportBatch
from app.dashboard.models import CachedAggregate
from app.db import session_scope
from app.jobs.models import Job
from app.listing import day_start
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.patterns.models import Pattern
from app.review.models import Judgment
from app.review.stats import judgment_day

# Tables this large (by the planner's statistics) get cached aggregates.
LARGE_TABLE = 50_000
# A process keeps a figure it computed itself this long; a worker's row counts until it is this old.
CACHE_SECONDS = 60.0
STALE_SECONDS = 300.0
_cache: dict[tuple[str, str], tuple[float, Any]] = {}


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
    return int(cached(session, "conversations"))


def _count_conversations(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Conversation)).scalar_one())


def pairs_by_status(session: Session) -> dict[str, int]:
    """Every status with its count, zeros included, in the lifecycle order."""
    counted: dict[str, int] = cached(session, "pairs_by_status")
    return {str(status): int(counted.get(str(status), 0)) for status in PairStatus}


def _pairs_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(col(Pair.status), func.count()).group_by(col(Pair.status)))
    return {str(PairStatus(status)): int(n) for status, n in rows}


# name -> (the table whose size decides, the exact computation; its value must be JSON)
AGGREGATES: dict[str, tuple[str, Callable[[Session], Any]]] = {}


def cached(session: Session, name: str) -> Any:
    """Aggregate `name` exactly on a small table; on a large PostgreSQL table, the worker's cached value."""
    table, compute = AGGREGATES[name]
    bind = session.get_bind()
    if not is_large(session, table):
        return compute(session)
    key = (str(bind.engine.url), name)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    row = session.get(CachedAggregate, name)
    if row is not None and (utcnow() - row.computed_at).total_seconds() < STALE_SECONDS:
        return row.value
    value = compute(session)
    _cache[key] = (now, value)
    return value


def is_large(session: Session, table: str) -> bool:
    """A PostgreSQL table with at least LARGE_TABLE rows by its statistics (SQLite never counts as large)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    query = text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:table)")
    return float(session.execute(query, {"table": table}).scalar_one_or_none() or 0) >= LARGE_TABLE


def refresh_aggregates(engine: Engine) -> list[str]:
    """Recompute the aggregates of large tables (the worker does, every minute: app/dashboard/jobs.py)."""
    refreshed = []
    for name, (table, compute) in AGGREGATES.items():
        with session_scope(engine) as session:
            if not is_large(session, table):
                continue
            value = compute(session)
            statement = insert(CachedAggregate).values(name=name, value=value, computed_at=utcnow())
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[col(CachedAggregate.name)],
                    set_={"value": statement.excluded.value, "computed_at": statement.excluded.computed_at},
                )
            )
        refreshed.append(name)
    return refreshed


def recent_batches(session: Session, *, limit: int = 8) -> list[ImportBatch]:
    query = select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)
    return list(session.execute(query).scalars())


def recent_jobs(session: Session, *, limit: int = 8) -> list[Job]:
    return list(session.execute(select(Job).order_by(col(Job.id).desc()).limit(limit)).scalars())


def judged_per_day(session: Session, *, today: date, days: int = 30) -> list[tuple[date, int]]:
    """Judgments per UTC day for the `days` days ending today, days without any included as zero."""
    first = today - timedelta(days=days - 1)
    day = judgment_day(session)
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
    """How often reviewers tagged each pattern on the answer they preferred and on the other one."""
    counts: list[list[Any]] = cached(session, "pattern_counts")
    names: dict[str, str] = dict(session.execute(select(col(Pattern.slug), col(Pattern.name))).all())
    return [
        PatternFrequency(slug=slug, name=names.get(slug, slug), chosen=int(chosen), rejected=int(rejected))
        for slug, chosen, rejected in counts
    ]


def _pattern_counts(session: Session) -> list[list[Any]]:
    """[slug, chosen, rejected] per tagged pattern, most tagged first.

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
    slugs = sorted(set(chosen) | set(rejected), key=lambda s: (-(chosen[s] + rejected[s]), s))
    return [[s, chosen[s], rejected[s]] for s in slugs]


AGGREGATES.update(
    conversations=("conversation", _count_conversations),
    pairs_by_status=("pair", _pairs_by_status),
    pattern_counts=("judgment", _pattern_counts),
)
