"""Review load: N simulated reviewers judge pairs against a real `pairwise serve` (SQLite or PostgreSQL).

    python benchmarks/review_load.py [--reviewers 50] [--seconds 60] [--sessions 3000] [--upload-sessions 0]
                                     [--processes 1] [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
                                     [--think 2] [--flow browser|next-submit] [--warmup 10] [--timeline 5]
                                     [--distinct-answers]

Each reviewer signs in, asks for the next pair (POST /review/next), looks at it `--think` seconds, and
submits a verdict (POST /review/{id}/judge), with htmx headers as the review page sends them. With
`--flow browser` (the default) the verdict's answer is the next pair, as on the review page, so a reviewer
asks for the next pair once and then makes one request per verdict; `--flow next-submit` asks for the next
pair before every verdict as well (twice the requests). Prints requests/s and p50/p95/p99 latency of both
routes, as the client saw it and as the server spent it (Server-Timing), then checks that no pair got more
judgments than the overlap allows. It also prints how many pairs are still open at the end, and says so when
fewer than two a reviewer are: the reviewers then compete for the last pairs (each pick and each count of
pairs left reads past the pairs others hold), which is the queue's end rather than steady reviewing; give
more `--sessions` (about 2/3 make a pair; 200 reviewers judge about 6,000 pairs a minute at think 2). `--warmup S` also prints the figures of the requests that started S
seconds or more into the run (every reviewer's first page and each process's first renders come before);
`--timeline S` prints p50/p99 per window of S seconds. The generated answers repeat, so after the first pairs
each process serves their rendered Markdown from its cache; `--distinct-answers` makes every session's answers
differ, so every pair is rendered afresh, as with real conversations.
`--processes N` serves with `pairwise serve --workers N` (jobs then need `pairwise worker`, so the embedded
worker is off) and `--postgres URL` runs on a fresh database created on that server. Exits 1 when a p99
server time of next or submit (after the warm-up, when given) reaches 100 ms, a pair is over-judged or a
request failed; 2 when nothing was measured.
`--upload-sessions N` also uploads N more sessions (one zip) through the admin upload page while reviewers
work; the server's embedded worker imports them, and the figures show what that does to reviewers.
The reviewers are coroutines on one event loop, each on its own keep-alive connection
(benchmarks/http_client.py), so the client takes little of the CPU it shares with the server; its CPU
time and the load average are printed with the figures. On Linux the run's CPU is also split between the web
processes, PostgreSQL (its processes on this machine), this client and idle time, from /proc: a p99 measured
with no idle CPU left says the machine was saturated, not what one request costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, func
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate
from app.auth.service import create_user
from app.conversations.importing import run_import
from app.db import session_scope
from app.pairs.models import Pair
from app.patterns.service import seed_defaults
from app.review.models import Judgment
from app.review.queue import OPEN_STATUSES
from benchmarks.http_client import Client, Response
from benchmarks.import_speed import scratch_engine, write_sessions

PAIR_ID = re.compile(rb'data-pair-id="(\d+)"')
SCREEN_TOKEN = re.compile(rb'name="token" value="([^"]*)"')
PASSWORD = "bench-password-123"
# Open pairs a reviewer, below which a run's end measures the queue running out (module docstring).
LOW_QUEUE = 2


def seed_database(
    engine: Engine, work: Path, *, sessions: int, source: str, users: dict[str, str], distinct: bool = False
) -> None:
    """Migrate, import `sessions` benchmark sessions (written under `work`; `distinct`: every session's answers
    differ), seed the patterns and add `users` ({username: role}, password PASSWORD)."""
    migrate.upgrade(engine)
    folder = work / "sessions"
    folder.mkdir()
    write_sessions(folder, sessions, distinct=distinct)
    run_import(engine, paths=[folder], source=source)
    with session_scope(engine) as session:
        seed_defaults(session)
        for username, role in users.items():
            create_user(session, username=username, password=PASSWORD, role=role)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    url: str, work: Path, *, secret_key: str, env: dict[str, str], workers: int = 1
) -> tuple[subprocess.Popen[bytes], int]:
    """Start `pairwise serve` on a free port of 127.0.0.1 against `url` (test mode, data in `work`, its log in
    work/server.log, `env` on top), wait until it answers /healthz, and return it with its port."""
    port = free_port()
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)]
    environment = {
        **os.environ,
        "PAIRWISE_DATABASE_URL": url,
        "PAIRWISE_DATA_DIR": str(work),
        "PAIRWISE_MODE": "test",
        "PAIRWISE_SECRET_KEY": secret_key,
        "PAIRWISE_LOG_LEVEL": "WARNING",
        **env,
    }
    log = (work / "server.log").open("w")
    server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    return server, port


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def since(timed: list[tuple[float, float]], start: float) -> list[float]:
    """The seconds of the requests that started `start` seconds or more into the run."""
    return [seconds for at, seconds in timed if at >= start]


def server_ms(response: Response | httpx.Response) -> float:
    value = response.headers.get("server-timing", "app;dur=nan")
    return float(value.split("dur=")[-1]) / 1000


# The pre-login CSRF token is the form's; the cookie only carries it signed.
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Run:
    """What the reviewers share: the start gate, the figures and the failures."""

    host: str
    port: int
    seconds: float
    think: float
    reviewers: int
    # Per figure: (seconds since the reviewing started, seconds the request took).
    times: dict[str, list[tuple[float, float]]]
    browser: bool = True
    failures: list[str] = field(default_factory=list)
    signed_in: int = 0
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = 0.0
    server_pid: int = 0  # whose processes' CPU the split counts (cpu_split)
    cpu: str = ""


async def sign_in(client: Client, username: str, failures: list[str]) -> bool:
    # Sign-in is not measured: hundreds of Argon2 checks at once can take minutes on a small machine.
    try:
        form = CSRF_FIELD.search((await client.request("GET", "/login")).text)
        response = await client.request(
            "POST",
            "/login",
            form={"username": username, "password": PASSWORD, "csrf_token": form.group(1) if form else ""},
        )
    except (OSError, asyncio.IncompleteReadError) as exc:
        failures.append(f"{username}: sign-in failed: {exc!r}")
        return False
    if response.status != 303:
        failures.append(f"{username}: sign-in answered {response.status}")
        return False
    return True


async def reviewer_loop(run: Run, username: str) -> None:
    """Sign in, wait until every reviewer has (sign-in hashing is not what we measure), then loop."""
    client = Client(run.host, run.port)
    signed = await sign_in(client, username, run.failures)
    run.signed_in += 1  # counted even when sign-in failed, or every other reviewer would wait forever
    if run.signed_in == run.reviewers:
        run.gate.set()
    await run.gate.wait()
    await client.close()  # the wait may have outlasted the server's keep-alive; start on a fresh connection
    if not signed:
        return
    headers = {"HX-Request": "true", "X-CSRF-Token": client.cookies.get("pw_csrf", "")}
    times = run.times
    deadline = time.monotonic() + run.seconds
    await asyncio.sleep(random.uniform(0, run.think))  # reviewers do not all press a key in the same ms
    try:
        page: Response | None = None
        while time.monotonic() < deadline:
            if page is None or not run.browser:
                start = time.perf_counter()
                page = await client.request("POST", "/review/next", headers=headers)
                at = start - run.started
                times["next"].append((at, time.perf_counter() - start))
                times["next server"].append((at, server_ms(page)))
                if page.status != 200:
                    run.failures.append(f"next: {page.status}")
                    page = None
                    continue
            match = PAIR_ID.search(page.body)
            if match is None:
                return  # queue empty
            token = SCREEN_TOKEN.search(page.body)
            await asyncio.sleep(run.think)  # the reviewer reads the pair shown, then judges it
            start = time.perf_counter()
            result = await client.request(
                "POST",
                f"/review/{int(match.group(1))}/judge",
                headers=headers,
                form={
                    "verdict": "right",
                    "patterns_right": ["tradeoffs"],
                    "token": token.group(1).decode() if token else "",
                },
            )
            at = start - run.started
            times["submit"].append((at, time.perf_counter() - start))
            times["submit server"].append((at, server_ms(result)))
            # The verdict's answer is the next pair's pane, which the review page shows without asking again.
            page = result if result.status == 200 else None
            if result.status != 200:
                run.failures.append(f"submit: {result.status} {result.text[:120]}")
    except (OSError, asyncio.IncompleteReadError) as exc:
        run.failures.append(f"{username}: {exc!r}")
    finally:
        await client.close()


async def review(run: Run, uploader: threading.Thread | None) -> float:
    """All reviewers on this thread's event loop; returns the seconds from the gate to the last one's end.

    The uploader (if any) starts once every reviewer has signed in, with the reviewing."""
    tasks = [asyncio.create_task(reviewer_loop(run, f"r{i}")) for i in range(run.reviewers)]
    await run.gate.wait()
    started = run.started = time.perf_counter()
    # The CPU split covers the reviewing, not the sign-ins (hundreds of Argon2 checks) before the gate.
    ticks, client = cpu_ticks(run.server_pid), time.process_time()
    if uploader is not None:
        uploader.start()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    run.cpu = cpu_split(
        ticks, cpu_ticks(run.server_pid), seconds=elapsed, client=time.process_time() - client
    )
    return elapsed


def build_upload(work: Path, sessions: int) -> Path:
    folder = work / "upload"
    folder.mkdir()
    write_sessions(folder, sessions)
    archive = work / "upload.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, path.name)
    shutil.rmtree(folder)
    return archive


def upload_and_wait(base: str, archive: Path, result: dict[str, str]) -> None:
    """Sign in as the admin, upload the zip like the browser form does, and wait for the import job."""
    with httpx.Client(base_url=base, timeout=600) as client:
        form = CSRF_FIELD.search(client.get("/login").text)
        client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": form.group(1) if form else ""},
        )
        headers = {"HX-Request": "true", "X-CSRF-Token": client.cookies.get("pw_csrf") or ""}
        started = time.perf_counter()
        with archive.open("rb") as fh:
            response = client.post(
                "/admin/imports",
                headers=headers,
                data={"source": "load-upload"},
                files={"files": ("sessions.zip", fh, "application/zip")},
            )
        job_url = response.headers.get("HX-Redirect", "")
        if not job_url:
            result["error"] = f"upload answered {response.status_code}: {response.text[:200]}"
            return
        uploaded = time.perf_counter() - started
        while True:
            page = client.get(f"{job_url}/status", headers={"HX-Request": "true"}).text
            if "succeeded" in page or "failed" in page:
                break
            time.sleep(0.5)
        result.update(
            job=job_url,
            uploaded_s=f"{uploaded:.1f}",
            finished_s=f"{time.perf_counter() - started:.1f}",
            status="succeeded" if "succeeded" in page else "failed",
        )


@dataclass(frozen=True, slots=True)
class CpuTicks:
    """Clock ticks of CPU time at one instant: the web processes', PostgreSQL's, and the machine's."""

    web: int
    postgres: int
    busy: int
    stolen: int  # by the hypervisor: a virtual machine's neighbours
    total: int


def cpu_ticks(server_pid: int) -> CpuTicks | None:
    """The CPU used so far by the server and its worker processes, by PostgreSQL's processes and by the
    whole machine (busy and total), from /proc; None where there is no /proc."""
    try:
        processes = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended meanwhile
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            # After the name: state, ppid, ... utime and stime are the 14th and 15th fields of the line.
            processes.append((int(entry.name), int(fields[1]), name, int(fields[11]) + int(fields[12])))
        machine = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return None
    idle = machine[3] + machine[4]  # idle and iowait
    return CpuTicks(
        web=sum(ticks for pid, ppid, _, ticks in processes if server_pid in (pid, ppid)),
        postgres=sum(ticks for _, _, name, ticks in processes if name.startswith("postgres")),
        busy=sum(machine) - idle,
        stolen=machine[7],
        total=sum(machine),
    )


def cpu_split(before: CpuTicks | None, after: CpuTicks | None, *, seconds: float, client: float) -> str:
    """Where the CPU went during the run, in cores, and the share of the machine left idle."""
    if before is None or after is None or after.total <= before.total:
        return "CPU split: not measured (no /proc)"
    tick = os.sysconf("SC_CLK_TCK")
    cores = (after.total - before.total) / tick / seconds
    idle = 1 - (after.busy - before.busy) / (after.total - before.total)
    stolen = (after.stolen - before.stolen) / (after.total - before.total)
    return (
        f"CPU of {cores:.0f} cores: web processes {(after.web - before.web) / tick / seconds:.2f}, "
        f"PostgreSQL {(after.postgres - before.postgres) / tick / seconds:.2f}, this client "
        f"{client / seconds:.2f}, idle {idle:.0%}, taken by the host {stolen:.0%}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--upload-sessions", type=int, default=0)
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds a reviewer looks at each pair before judging it"
    )
    parser.add_argument("--processes", type=int, default=1, help="web processes (serve --workers)")
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        help="also print the figures of the requests that started this many seconds after the reviewing "
        "did (every reviewer's first request and each process's first renders fall in the first seconds); "
        "the exit status then judges those",
    )
    parser.add_argument(
        "--timeline", type=float, default=0.0, help="also print p50/p99 per window of this many seconds"
    )
    parser.add_argument(
        "--flow",
        choices=("browser", "next-submit"),
        default="browser",
        help="browser: as the review page does, a verdict's answer is the next pair (one request per "
        "verdict, the next-pair page once per reviewer); next-submit: ask for the next pair before every verdict",
    )
    parser.add_argument("--postgres", help="server URL; a fresh database is created on it")
    parser.add_argument(
        "--distinct-answers",
        action="store_true",
        help="every session's answers differ, so each pair's Markdown is rendered afresh, as with real "
        "conversations (by default the generated answers repeat and their rendering is served from the cache)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pairwise-load-"))
    try:
        with scratch_engine(work=work, postgres=args.postgres) as engine:
            return _run(engine, work=work, args=args)
    finally:
        if os.environ.get("PAIRWISE_BENCH_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _run(engine: Engine, *, work: Path, args: argparse.Namespace) -> int:
    """Seed the database, serve it, let the reviewers work, and print the figures (see the module's docstring)."""
    url = engine.url.render_as_string(hide_password=False)
    users = {**{f"r{i}": "reviewer" for i in range(args.reviewers)}, "admin": "admin"}
    seed_database(
        engine, work, sessions=args.sessions, source="load", users=users, distinct=args.distinct_answers
    )
    env = {
        # Simulated reviewers answer at once; the human-speed floor would refuse every verdict.
        "PAIRWISE_REVIEW_MIN_MS": "0",
        # Every simulated reviewer signs in from 127.0.0.1: the per-address sign-in throttle would
        # refuse all but the first few (sign-in is not what this measures).
        "PAIRWISE_LOGIN_MAX_ATTEMPTS": str(max(5, args.reviewers)),
    }
    if args.processes > 1:
        env["PAIRWISE_WORKER_EMBEDDED"] = "false"
    server, port = serve(
        url, work, secret_key="load-test-secret-key-0123456789-abcdefghij", env=env, workers=args.processes
    )
    base = f"http://127.0.0.1:{port}"
    uploader: threading.Thread | None = None
    upload_result: dict[str, str] = {}
    if args.upload_sessions:
        archive = build_upload(work, args.upload_sessions)
        uploader = threading.Thread(target=upload_and_wait, args=(base, archive, upload_result))
    times: dict[str, list[tuple[float, float]]] = {
        "next": [],
        "submit": [],
        "next server": [],
        "submit server": [],
    }
    run = Run("127.0.0.1", port, args.seconds, args.think, args.reviewers, times, args.flow == "browser")
    run.server_pid = server.pid
    client_cpu = time.process_time()
    elapsed = asyncio.run(review(run, uploader))
    client_cpu = time.process_time() - client_cpu
    failures = run.failures
    if uploader is not None:
        uploader.join()
        print(f"upload during the run: {upload_result}")
    server.terminate()
    server.wait(10)
    with session_scope(engine) as session:
        over = session.execute(
            select(col(Judgment.pair_id)).group_by(col(Judgment.pair_id)).having(func.count() > 1)
        ).all()
        total = session.execute(select(func.count()).select_from(Judgment)).scalar_one()
        pairs, still_open = session.execute(
            select(func.count(), func.count().filter(col(Pair.status).in_(OPEN_STATUSES)))
        ).one()
    requests = len(times["next"]) + len(times["submit"])
    print(
        f"{args.processes} processes, {args.reviewers} reviewers, think {args.think} s, flow {args.flow}, "
        f"{elapsed:.0f} s: {requests / elapsed:.0f} requests/s, "
        f"{total} judgments; {still_open} of {pairs} pairs still open at the end"
    )
    if still_open < LOW_QUEUE * args.reviewers:
        print(
            f"  the queue ran low (fewer than {LOW_QUEUE} open pairs a reviewer): the last seconds measure "
            "reviewers competing for its last pairs, not steady reviewing; give more --sessions"
        )
    spans = [("whole run", 0.0)] + ([(f"after {args.warmup:g} s", args.warmup)] if args.warmup else [])
    for title, start in spans:
        print(f"  {title}:")
        for name, timed in times.items():
            values = since(timed, start)
            print(
                f"    {name:<13} n={len(values):>6}  p50 {percentile(values, 0.5):6.1f} ms  "
                f"p95 {percentile(values, 0.95):6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms  "
                f"mean {statistics.fmean(values) * 1000 if values else float('nan'):6.1f} ms"
            )
    if args.timeline:
        print(f"  server time by {args.timeline:g}-second window of the run (next and submit together):")
        served = times["next server"] + times["submit server"]
        windows = int(max(at for at, _ in served) // args.timeline) + 1 if served else 0
        for window in range(windows):
            values = [seconds for at, seconds in served if int(at // args.timeline) == window]
            print(
                f"    {window * args.timeline:5.0f} s  n={len(values):>5}  p50 {percentile(values, 0.5):7.1f} ms  "
                f"p99 {percentile(values, 0.99):7.1f} ms"
            )
    print(
        f"  load client CPU {client_cpu:.1f} s ({client_cpu / elapsed:.0%} of a core); "
        f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )
    print(f"  {run.cpu}")
    print(f"pairs judged beyond overlap 1: {len(over)}; failures: {len(failures)}")
    for failure in failures[:10]:
        print("  ", failure)
    locked = "database is locked" in (work / "server.log").read_text()
    print(f"'database is locked' in server log: {locked}")
    # The verdict: whole run, or the steady state after --warmup.
    judged = {name: since(times[name], args.warmup) for name in ("next server", "submit server")}
    if not judged["submit server"] or not times["next server"]:
        print("cannot measure: no next or submit request was answered")
        return 2
    # With the browser flow every reviewer asks for the next pair once, at the start: judged on the whole run.
    next_values = judged["next server"] or since(times["next server"], 0.0)
    slow = max(percentile(next_values, 0.99), percentile(judged["submit server"], 0.99))
    return 0 if slow < 100 and not over and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
