"""A reviewer's own numbers (judged today, streak, median seconds) for a reviewer with a year of verdicts.

    python benchmarks/reviewer_stats.py [--sessions 30000] [--repeat 15] [--postgres postgresql://...]

Every review request shows these numbers, so their cost must not follow the reviewer's whole history. A
judgment on each day of the year is the costliest case: a 366-day streak, walked back one day at a time.
Seeds a database like `review_load.py`, gives one reviewer a judgment on every pair (created at random times
over the past year, a fixed seed) and decides the pair as that verdict does at overlap 1, and prints the median
time of `reviewer_numbers` (the numbers and the count of pairs left, as the screen asks) over `--repeat`
calls. Exits 1 when the median reaches 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, update
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.auth.models import User
from app.db import session_scope
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.review.models import Judgment
from app.review.stats import reviewer_numbers
from benchmarks.import_speed import scratch_engine
from benchmarks.review_load import seed_database

TARGET_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sessions", type=int, default=30000, help="sessions imported (about 2/3 make a pair)"
    )
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", help="server URL; a fresh database is created on it")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="pairwise-stats-") as folder,
        scratch_engine(work=Path(folder), postgres=args.postgres) as engine,
    ):
        work = Path(folder)
        seed_database(engine, work, sessions=args.sessions, source="stats", users={"r0": "reviewer"})
        now, pick = utcnow(), random.Random(7)
        with session_scope(engine) as session:
            reviewer = session.execute(select(User).where(col(User.username) == "r0")).scalar_one()
            rows = []
            for pair_id in session.execute(select(col(Pair.id))).scalars():
                at = now - timedelta(seconds=pick.uniform(0, 365 * 86400))
                rows.append({"pair_id": pair_id, "reviewer_id": reviewer.id, "verdict": "second",
                             "left_side": "first", "patterns_first": [], "patterns_second": [],
                             "seconds_spent": pick.uniform(5, 60), "created_at": at, "updated_at": at})  # fmt: skip
            session.execute(insert(Judgment), rows)
            session.execute(update(Pair).values(status=PairStatus.accepted))
        if args.postgres:
            # A year of verdicts decided the pairs one at a time, under autovacuum; deciding them all at once
            # leaves every pair's old row in the open queue's index, which the count of pairs left would read.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE pair")
        times = []
        for _ in range(args.repeat):
            with session_scope(engine, read_only=True) as session:
                reviewer = session.execute(select(User).where(col(User.username) == "r0")).scalar_one()
                started = time.perf_counter()
                stats, _ = reviewer_numbers(session, reviewer=reviewer)
                times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        backend = "postgresql" if args.postgres else "sqlite"
        print(
            f"{backend}: {len(rows)} judgments over a year, reviewer_numbers median {median:.1f} ms "
            f"(min {min(times):.1f}) of {args.repeat}; today {stats.judged_today}, streak {stats.streak_days} "
            f"days, median {stats.median_seconds} s"
        )
        return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
