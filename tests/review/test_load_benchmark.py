"""benchmarks/review_load.py's CPU split: where a run's CPU went, read from /proc."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest

from benchmarks import review_load as bench


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="the split reads Linux's /proc")
def test_the_split_counts_the_server_and_its_children() -> None:
    """A busy worker process of the server (a shell waiting on a spinning child, as `serve --workers N` waits on
    its workers) shows as web CPU, and the machine as busy."""
    tick = os.sysconf("SC_CLK_TCK")
    spinner = f"{shlex.quote(sys.executable)} -c 'while True: pass' & wait"
    server = subprocess.Popen(["/bin/sh", "-c", spinner], start_new_session=True)
    before = bench.cpu_ticks(server.pid)
    assert before is not None
    started = time.perf_counter()
    try:
        deadline = started + 30
        while True:  # until the worker has had 0.3 s of CPU (it may wait for a core on a busy machine)
            after = bench.cpu_ticks(server.pid)
            assert after is not None
            if after.web - before.web >= 0.3 * tick or time.perf_counter() > deadline:
                break
            time.sleep(0.05)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
    assert after.web - before.web >= 0.3 * tick
    assert after.busy - before.busy >= 0.3 * tick
    line = bench.cpu_split(before, after, seconds=time.perf_counter() - started, client=0.0)
    assert re.fullmatch(
        r"CPU of \d+ cores: web processes \d+\.\d\d, PostgreSQL .*%, taken by the host \d+%", line
    ), line


def test_the_split_in_cores_and_shares() -> None:
    tick = os.sysconf("SC_CLK_TCK")
    before = bench.CpuTicks(web=0, postgres=0, busy=0, stolen=0, total=0)
    # 10 s on 2 cores: web 1.5 cores, PostgreSQL 0.25, 80% busy of which 5% taken by the host.
    after = bench.CpuTicks(
        web=15 * tick, postgres=int(2.5 * tick), busy=16 * tick, stolen=1 * tick, total=20 * tick
    )
    assert bench.cpu_split(before, after, seconds=10.0, client=0.5) == (
        "CPU of 2 cores: web processes 1.50, PostgreSQL 0.25, this client 0.05, idle 20%, taken by the host 5%"
    )
    assert bench.cpu_split(None, after, seconds=10.0, client=0.5) == "CPU split: not measured (no /proc)"
