"""Review load: N simulated reviewers loop next -> submit against a real `pairwise serve` on SQLite.

    python benchmarks/review_load.py [--reviewers 50] [--seconds 60] [--sessions 3000] [--upload-sessions 0]

Prints requests/s and p50/p95/p99 latency of the next-pair page and of submit (the HTML routes reviewers use,
with htmx headers), as the client saw it and as the server spent it (Server-Timing), then checks that no pair got more judgments than the overlap allows.
`--upload-sessions N` also imports N more sessions through `pairwise import` while reviewers work.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate  # noqa: E402
from app.auth.service import create_user  # noqa: E402
from app.conversations.importing import run_import  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.patterns.service import seed_defaults  # noqa: E402
from app.review.models import Judgment  # noqa: E402
from benchmarks.import_speed import write_sessions  # noqa: E402

PAIR_ID = re.compile(rb'data-pair-id="(\d+)"')
PASSWORD = "bench-password-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def server_ms(response: httpx.Response) -> float:
    value = response.headers.get("server-timing", "app;dur=nan")
    return float(value.split("dur=")[-1]) / 1000


def reviewer_loop(base: str, username: str, deadline: float, times: dict[str, list[float]], failures: list[str],
                  think: float) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/login")
        response = client.post("/login", data={"username": username, "password": PASSWORD,
                                               "csrf_token": client.cookies.get("pw_csrf", "")})
        if response.status_code != 303:
            failures.append(f"{username}: sign-in answered {response.status_code}")
            return
        headers = {"HX-Request": "true", "X-CSRF-Token": client.cookies.get("pw_csrf", "")}
        while time.monotonic() < deadline:
            start = time.perf_counter()
            page = client.post("/review/next", headers=headers)
            times["next"].append(time.perf_counter() - start)
            times["next server"].append(server_ms(page))
            match = PAIR_ID.search(page.content)
            if page.status_code != 200:
                failures.append(f"next: {page.status_code}")
                continue
            if match is None:
                return  # queue empty
            start = time.perf_counter()
            result = client.post(f"/review/{int(match.group(1))}/judge", headers=headers,
                                 data={"verdict": "right", "patterns_right": ["tradeoffs"]})
            times["submit"].append(time.perf_counter() - start)
            times["submit server"].append(server_ms(result))
            if result.status_code != 200:
                failures.append(f"submit: {result.status_code} {result.text[:120]}")
            time.sleep(think)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--upload-sessions", type=int, default=0)
    parser.add_argument("--think", type=float, default=0.0, help="seconds a reviewer pauses after each verdict")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pairwise-load-"))
    try:
        url = f"sqlite:///{work / 'load.db'}"
        engine = build_engine(url)
        migrate.upgrade(engine)
        sessions = work / "sessions"
        sessions.mkdir()
        write_sessions(sessions, args.sessions)
        run_import(engine, paths=[sessions], source="load")
        with session_scope(engine) as session:
            seed_defaults(session)
            for i in range(args.reviewers):
                create_user(session, username=f"r{i}", password=PASSWORD, role="reviewer")
        port = free_port()
        env = {**os.environ, "PAIRWISE_DATABASE_URL": url, "PAIRWISE_DATA_DIR": str(work), "PAIRWISE_MODE": "test",
               "PAIRWISE_SECRET_KEY": "load-test-secret-key-0123456789-abcdefghij", "PAIRWISE_LOG_LEVEL": "WARNING"}
        log = (work / "server.log").open("w")
        server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        uploader = None
        if args.upload_sessions:
            upload = work / "upload"
            upload.mkdir()
            write_sessions(upload, args.upload_sessions)
            uploader = subprocess.Popen([sys.executable, "-m", "app", "import", str(upload), "--json"], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        times: dict[str, list[float]] = {"next": [], "submit": [], "next server": [], "submit server": []}
        failures: list[str] = []
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=reviewer_loop, args=(base, f"r{i}", deadline, times, failures, args.think))
                   for i in range(args.reviewers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        if uploader is not None:
            out = uploader.communicate()[0].decode()
            print(f"upload during the run: {out.strip().splitlines()[-1][:200]}")
        server.terminate()
        server.wait(10)
        with session_scope(engine) as session:
            over = session.execute(
                select(Judgment.pair_id).group_by(Judgment.pair_id).having(func.count() > 1)
            ).all()
            total = session.execute(select(func.count()).select_from(Judgment)).scalar_one()
        requests = len(times["next"]) + len(times["submit"])
        print(f"{args.reviewers} reviewers, think {args.think} s, {elapsed:.0f} s: {requests / elapsed:.0f} requests/s, "
              f"{total} judgments")
        for name, values in times.items():
            print(f"  {name:<13} n={len(values):>6}  p50 {percentile(values, 0.5):6.1f} ms  "
                  f"p95 {percentile(values, 0.95):6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms  "
                  f"mean {statistics.fmean(values) * 1000 if values else float('nan'):6.1f} ms")
        print(f"pairs judged beyond overlap 1: {len(over)}; failures: {len(failures)}")
        for failure in failures[:10]:
            print("  ", failure)
        locked = "database is locked" in (work / "server.log").read_text()
        print(f"'database is locked' in server log: {locked}")
    finally:
        if os.environ.get("PAIRWISE_BENCH_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
