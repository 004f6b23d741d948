"""W4: import a large corpus into a fresh PostgreSQL database, then time the admin pages against it.

    python benchmarks/scale_postgres.py [--conversations 1000000] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
                                        [--data DIR] [--pages-only DATABASE_URL] [--keep]

The corpus comes from benchmarks/scale_data.py (written to --data, reused when it is already there). The
import runs in five equal parts, each its own batch, and prints the rate of each fifth: the last fifth must be
at least 2/3 as fast as the first and the whole at least 3,000 conversations/s. Then a `pairwise serve`
on that database answers every list, filter, pair browser, search and dashboard page 40 times (--repeats); each page's
p95 server time (Server-Timing) must be under 100 ms. Exits 1 when a target is missed, 2 when it cannot
measure. After the import the full-text index job runs (its rate is printed in rows/s), then the pages
are timed. `--keep` leaves the database in place (its URL is printed) and `--pages-only URL` times the pages
of such a database again without importing. `--sqlite FILE` imports into a new SQLite file instead and times
the pages twice: before its full-text index job ran (every search falls back to LIKE) and after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate
from app.auth.service import create_user
from app.conversations.importing import run_import
from app.conversations.models import Conversation
from app.conversations.search_index import index_pending
from app.dashboard.queries import refresh_aggregates
from app.db import build_engine, session_scope
from app.pairs.models import Pair
from app.patterns.service import seed_defaults
from app.settings.service import get_value
from benchmarks.import_speed import drop_database, fresh_postgres
from benchmarks.review_load import (
    CSRF_FIELD,
    PAIR_ID,
    PASSWORD,
    SCREEN_TOKEN,
    percentile,
    serve,
    server_ms,
)
from benchmarks.scale_data import generate

PAGE_TARGET_MS = 100.0
RATE_TARGET = 3_000.0
REPEATS = 40


def import_fifths(engine: Engine, files: list[Path]) -> list[tuple[int, float]]:
    """Import the files in five parts; (conversations added, seconds) per part."""
    parts = [files[i * len(files) // 5 : (i + 1) * len(files) // 5] for i in range(5)]
    results = []
    for number, part in enumerate(parts, 1):
        started = time.perf_counter()
        summary = run_import(engine, paths=part, source=f"scale-{number}")
        elapsed = time.perf_counter() - started
        results.append((summary.conversations_added, elapsed))
        print(
            f"  fifth {number}: {summary.conversations_added:>8} conversations in {elapsed:7.1f} s = "
            f"{summary.conversations_added / elapsed:7.0f}/s  (pairs {summary.pairs_detected}, "
            f"errors {summary.error_count})",
            flush=True,
        )
    return results


def page_paths(engine: Engine, reviewer: str) -> list[tuple[str, str]]:
    """The pages to time, with ids and values taken from the database itself."""
    with session_scope(engine) as session:
        top = int(session.execute(select(func.max(Conversation.id))).scalar_one())
        pair_top = int(session.execute(select(func.max(Pair.id))).scalar_one() or 0)
        source = session.execute(
            select(col(Conversation.source)).where(col(Conversation.id) == top)
        ).scalar_one()
        # The first import's source: its rows are the oldest, behind every newer one in a newest-first scan.
        oldest = session.execute(
            select(col(Conversation.source)).order_by(col(Conversation.id)).limit(1)
        ).scalar_one()
    middle, pair_middle = top // 2, max(pair_top // 2, 1)
    today = date.today().isoformat()
    return [
        ("dashboard", "/admin"),
        ("conversations", "/admin/conversations"),
        ("conversations page 2", f"/admin/conversations?after={middle}"),
        ("conversations by source", f"/admin/conversations?source={source}"),
        ("conversations, old source", f"/admin/conversations?source={oldest}"),
        ("conversations by format", "/admin/conversations?format=openai"),
        ("conversations deep page", f"/admin/conversations?after={max(top // 100, 2)}"),
        ("conversations by date", f"/admin/conversations?created_from={today}&created_to={today}"),
        ("conversations, no match", "/admin/conversations?created_from=2020-01-01&created_to=2020-01-31"),
        ("conversation", f"/admin/conversations/{middle}"),
        ("search common word", "/admin/conversations?q=query"),
        ("search rare word", "/admin/conversations?q=ocaml"),
        ("search rare phrase", "/admin/conversations?q=erlang+deadlock"),
        ("search phrase page 2", "/admin/conversations?q=erlang+deadlock&page=2"),
        # Two common words that seldom stand together: the planner cannot tell the phrase is rare.
        ("search common-word phrase", "/admin/conversations?q=disk+config"),
        ("search miss", "/admin/conversations?q=xylophonequartz"),
        ("pairs", "/admin/pairs"),
        ("pairs page 2", f"/admin/pairs?after={pair_middle}"),
        ("pairs by status", "/admin/pairs?status=candidate"),
        ("pairs by score", "/admin/pairs?min_score=0.9"),
        ("pairs by source", f"/admin/pairs?source={source}"),
        ("pairs, old source", f"/admin/pairs?source={oldest}"),
        ("pairs by pattern", "/admin/pairs?pattern=tradeoffs"),
        ("pairs by reviewer", f"/admin/pairs?reviewer={reviewer}"),
        ("pairs search", "/admin/pairs?q=erlang+deadlock"),
        ("pair", f"/admin/pairs/{pair_middle}"),
        ("imports", "/admin/imports"),
        ("healthz", "/healthz"),
    ]


def time_pages(url: str, work: Path, repeats: int = REPEATS) -> bool:
    """Serve `url`, sign in as an admin and time every page; True when every p95 is under the target.

    The dashboard's aggregates are refreshed first, as the worker does at its start and every minute
    (the server here runs without its embedded worker, so the timings are the pages' alone).
    """
    engine = build_engine(url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        username = f"scale-admin-{uuid.uuid4().hex[:6]}"
        create_user(session, username=username, password=PASSWORD, role="admin")
        seed_defaults(session)
        pause_ms = int(get_value(session, key="review_min_ms"))
    refresh_aggregates(engine)
    paths = page_paths(engine, username)
    engine.dispose()
    server, port = serve(
        url,
        work,
        secret_key="scale-bench-secret-key-0123456789-abcdefghij",
        env={"PAIRWISE_WORKER_EMBEDDED": "false"},
    )
    base = f"http://127.0.0.1:{port}"
    ok = True
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            form = CSRF_FIELD.search(client.get("/login").text)
            signed_in = client.post(
                "/login",
                data={
                    "username": username,
                    "password": PASSWORD,
                    "csrf_token": form.group(1) if form else "",
                },
            )
            if signed_in.status_code != 303:
                print(f"cannot measure: sign-in answered {signed_in.status_code}")
                return False
            print(
                f"{'page':<26} {'first ms':>8} {'p50 ms':>8} {'p95 ms':>8}  (server time, {repeats} requests each; "
                f"load {os.getloadavg()[0]:.1f})"
            )
            for name, path in paths:
                served: list[float] = []
                for _ in range(repeats):
                    response = client.get(path)
                    if response.status_code != 200:
                        print(f"{name}: {path} answered {response.status_code}")
                        ok = False
                        break
                    served.append(server_ms(response))
                if served:
                    p95 = percentile(served, 0.95)
                    mark = "" if p95 < PAGE_TARGET_MS else "  MISSED"
                    ok = ok and p95 < PAGE_TARGET_MS
                    print(
                        f"{name:<26} {served[0] * 1000:8.1f} {percentile(served, 0.5):8.1f} {p95:8.1f}{mark}",
                        flush=True,
                    )
            ok = time_review_queue(client, repeats, pause=pause_ms / 1000 + 0.01) and ok
    finally:
        server.terminate()
        server.wait(10)
    return ok


def time_review_queue(client: httpx.Client, repeats: int, *, pause: float) -> bool:
    """A reviewer's verdict and the next pair it serves, picked afresh each time (a held pair would be
    served again without a pick), after verdicts so the last ones' conversations wait at the back. A
    verdict waits `pause` (review_min_ms: one sooner after the pair was shown is refused). The admin's
    verdicts stay in the database."""
    headers = {"HX-Request": "true", "X-CSRF-Token": client.cookies.get("pw_csrf") or ""}
    page = client.post("/review/next", headers=headers)
    served: list[float] = [server_ms(page)]
    for _ in range(repeats):
        pair, token = PAIR_ID.search(page.content), SCREEN_TOKEN.search(page.content)
        if page.status_code != 200 or pair is None:
            print(f"review queue: answered {page.status_code}, {'a pair' if pair else 'no pair'}")
            return False
        time.sleep(pause)
        page = client.post(
            f"/review/{int(pair.group(1))}/judge",
            headers=headers,
            data={
                "verdict": "right",
                "patterns_right": "tradeoffs",
                "token": token.group(1).decode() if token else "",
            },
        )
        served.append(server_ms(page))
    p95 = percentile(served, 0.95)
    mark = "" if p95 < PAGE_TARGET_MS else "  MISSED"
    print(
        f"{'review: verdict + next':<26} {served[0] * 1000:8.1f} {percentile(served, 0.5):8.1f} {p95:8.1f}{mark}"
    )
    return p95 < PAGE_TARGET_MS


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--data", type=Path, help="corpus folder (generated when empty or missing)")
    parser.add_argument("--pages-only", metavar="DATABASE_URL", help="time the pages of an imported database")
    parser.add_argument("--keep", action="store_true", help="keep the database for --pages-only runs")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="requests per page")
    parser.add_argument(
        "--sqlite",
        type=Path,
        metavar="FILE",
        help="import into a new SQLite file instead (times its FTS5 index too)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pairwise-scale-"))
    try:
        if args.pages_only:
            return 0 if time_pages(args.pages_only, work, args.repeats) else 1
        data = args.data or work / "corpus"
        files = sorted(data.glob("part-*.jsonl")) if data.exists() else []
        if not files:
            started = time.perf_counter()
            size = generate(data, conversations=args.conversations)
            print(
                f"generated {args.conversations} conversations, {size / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s"
            )
            files = sorted(data.glob("part-*.jsonl"))
        if len(files) < 5:
            print(
                "cannot measure: fewer than five corpus files (use more conversations or a smaller --per-file)"
            )
            return 2
        if args.sqlite:
            if args.sqlite.exists():
                print(f"cannot measure: {args.sqlite} exists (give a new file)")
                return 2
            url = f"sqlite:///{args.sqlite}"
        else:
            url = fresh_postgres(args.postgres, prefix="pairwise_scale")
        print(f"database {make_url(url).database}; load: {os.getloadavg()}", flush=True)
        engine = build_engine(url)
        migrate.upgrade(engine)
        fifths = import_fifths(engine, files)
        engine.dispose()
        added = sum(n for n, _ in fifths)
        seconds = sum(s for _, s in fifths)
        first, last = (n / s for n, s in (fifths[0], fifths[-1]))
        ratio = last / first
        print(
            f"import: {added} conversations in {seconds:.0f} s = {added / seconds:.0f}/s; "
            f"last fifth / first fifth = {ratio:.2f}; load: {os.getloadavg()}"
        )
        ok = ratio >= 2 / 3 and added / seconds >= RATE_TARGET
        if not ok:
            print(f"MISSED: needs last/first >= 0.67 and >= {RATE_TARGET:.0f} conversations/s")
        if args.sqlite:
            print(
                "pages while the full-text index is empty (every turn above its watermark, read with LIKE):"
            )
            ok = time_pages(url, work, args.repeats) and ok
        engine = build_engine(url)
        started = time.perf_counter()
        indexed = index_pending(engine).indexed
        elapsed = time.perf_counter() - started
        engine.dispose()
        rows = sum(indexed.values())
        print(
            f"search index: {indexed} in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s; load: {os.getloadavg()}"
        )
        print("pages once indexed:")
        ok = time_pages(url, work, args.repeats) and ok
        if args.keep:
            print(f"kept {url}")
        elif args.sqlite:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{args.sqlite}{suffix}").unlink(missing_ok=True)
        else:
            drop_database(url)
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
