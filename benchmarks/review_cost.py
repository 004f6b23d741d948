"""Review cost: SQL statements and server milliseconds per request of the review routes, one reviewer alone.

    python benchmarks/review_cost.py [--sessions 300] [--rounds 40] [--postgres postgresql://...] [--profile N [--sort tottime]]

Seeds a database like `review_load.py` (generated Claude Code sessions, default taxonomy), signs one reviewer
in through the app (in process, Starlette's TestClient) and loops next -> submit as the review screen does
(htmx headers, a verdict with one tag). Prints, for the next-pair page (POST /review/next) and the verdict
submit (POST /review/{id}/judge), the SQL statements per request, the server time (Server-Timing) median
and mean, and the CPU time this process spent per request (app and in-process client; steadier than wall
time on a busy machine, and on SQLite it includes the database's work) and, on a PostgreSQL server on this
machine, the CPU its processes spent per request (from /proc/PID/schedstat, in nanoseconds). `--profile N` prints the N costliest
functions (cProfile, cumulative) of the server's side of the measured rounds (middleware, sign-in check, CSRF,
route, rendering); its timings then include the profiler's overhead.
The first rounds warm caches and are not counted. On a busy machine the milliseconds are noisy; the
statement counts are exact.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.db import use_engine
from benchmarks.import_speed import scratch_engine
from benchmarks.review_load import PASSWORD, seed_database

PAIR_ID = re.compile(r'data-pair-id="(\d+)"')
SCREEN_TOKEN = re.compile(r'name="token" value="([^"]*)"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
WARM_UP = 3


def server_ms(headers: Any) -> float:
    return float(headers.get("server-timing", "app;dur=nan").split("dur=")[-1])


def postgres_processes() -> list[Path]:
    """The schedstat files of this machine's PostgreSQL processes (empty where there is no /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (entry / "comm").read_text().startswith("postgres"):
                found.append(entry / "schedstat")
        except OSError:
            continue  # ended meanwhile
    return found


def cpu_ns(files: list[Path]) -> int:
    """The CPU time the processes of `files` have run so far, in nanoseconds (an ended one counts 0)."""
    total = 0
    for file in files:
        try:
            total += int(file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def _run_inline() -> None:
    """Run what the app hands to its thread pool (sync routes and dependencies, identification) on the
    event loop's thread, so one profiler there sees the whole request: middleware, auth, CSRF, the route,
    rendering. One client sends one request at a time, so nothing waits on anything else."""
    import anyio.to_thread

    async def inline(func: Callable[..., Any], *call_args: Any, **_: Any) -> Any:
        return func(*call_args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=40, help="next + submit rounds measured")
    parser.add_argument("--postgres", help="server URL; a fresh database is created on it")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument(
        "--sort", choices=("cumulative", "tottime"), default="cumulative", help="--profile's order"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pairwise-cost-"))
    os.environ.update(
        PAIRWISE_DATA_DIR=str(work),
        PAIRWISE_MODE="test",
        PAIRWISE_SECRET_KEY="cost-test-secret-key-0123456789-abcdefghij",
        PAIRWISE_LOG_LEVEL="WARNING",
        PAIRWISE_REVIEW_MIN_MS="0",  # the bench answers at once; the human-speed floor would refuse it
        PAIRWISE_WORKER_EMBEDDED="false",
    )
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        with scratch_engine(work=work, postgres=args.postgres) as engine:
            return _measure(engine, work=work, args=args)
    finally:
        use_engine(None)
        shutil.rmtree(work, ignore_errors=True)


def _measure(engine: Engine, *, work: Path, args: argparse.Namespace) -> int:
    """Seed the database, sign one reviewer in and time the rounds (see the module's docstring)."""
    seed_database(engine, work, sessions=args.sessions, source="cost", users={"r0": "reviewer"})
    use_engine(engine)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements[0] += 1

    from starlette.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(), base_url="http://testserver", follow_redirects=False) as client:
        form = CSRF_FIELD.search(client.get("/login").text)
        signed = client.post(
            "/login",
            data={"username": "r0", "password": PASSWORD, "csrf_token": form.group(1) if form else ""},
        )
        if signed.status_code != 303:
            print(f"sign-in answered {signed.status_code}")
            return 2
        headers = {"HX-Request": "true", "X-CSRF-Token": client.cookies.get("pw_csrf") or ""}
        figures: dict[str, tuple[list[int], list[float], list[float], list[float]]] = {
            "next": ([], [], [], []),
            "submit": ([], [], [], []),
        }
        # Looked up once the pool holds its connections: their server processes last the whole run.
        database = postgres_processes() if args.postgres else []
        profiler = cProfile.Profile()
        if args.profile:
            _run_inline()

        def measured(name: str, counted: bool, call: Callable[[], Any]) -> Any:
            statements[0] = 0
            profiling = counted and args.profile
            if profiling:
                assert client.portal is not None  # inside `with TestClient`
                client.portal.call(profiler.enable)
            database_ns = cpu_ns(database)
            cpu = time.process_time()
            response = call()
            cpu = time.process_time() - cpu
            database_ns = cpu_ns(database) - database_ns
            if profiling:
                assert client.portal is not None
                client.portal.call(profiler.disable)
            if response.status_code != 200:
                raise SystemExit(f"{name} answered {response.status_code}: {response.text[:300]}")
            if counted:
                figures[name][0].append(statements[0])
                figures[name][1].append(server_ms(response.headers))
                figures[name][2].append(cpu * 1000)
                figures[name][3].append(database_ns / 1e6)
            return response

        for round_ in range(WARM_UP + args.rounds):
            counted = round_ >= WARM_UP
            page = measured("next", counted, lambda: client.post("/review/next", headers=headers))
            match, token = PAIR_ID.search(page.text), SCREEN_TOKEN.search(page.text)
            if match is None:
                print("the queue ran out; use more --sessions")
                break
            verdict = {
                "verdict": "right",
                "patterns_right": ["tradeoffs"],
                "token": token.group(1) if token else "",
            }
            judge = functools.partial(
                client.post, f"/review/{int(match.group(1))}/judge", headers=headers, data=verdict
            )
            measured("submit", counted, judge)
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"{backend}, {args.sessions} sessions, one reviewer, {len(figures['next'][0])} rounds")
    for name, (counts, ms, cpu_ms, database_ms) in figures.items():
        if not counts:
            continue
        database_cpu = f"  PostgreSQL CPU ms median {statistics.median(database_ms):5.2f}" if database else ""
        print(
            f"  {name:<7} statements/request {statistics.fmean(counts):5.1f} (max {max(counts)})  "
            f"server ms median {statistics.median(ms):6.1f}  mean {statistics.fmean(ms):6.1f}  "
            f"CPU ms median {statistics.median(cpu_ms):6.1f}{database_cpu}"
        )
    if args.profile:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.profile)
    return 0 if figures["next"][0] else 2


if __name__ == "__main__":
    sys.exit(main())
