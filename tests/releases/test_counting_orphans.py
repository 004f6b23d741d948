"""The forked token-counting child dies with its parent and never keeps the server's listening socket.

The parent below is a stand-in for a release build mid-lint: it listens on a port (as `pairwise serve`
does, with SO_REUSEADDR like uvicorn), feeds RowTokens until its counting worker is forked, then waits.
It is killed with SIGKILL; the child must exit and the port must be free for a restart.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PARENT = textwrap.dedent(
    """
    import socket, sys, time
    from app.releases.export.counting import ROWS_PER_BATCH, RowTokens
    from app.releases.export.tokens import TokenCounter

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    rows = RowTokens(TokenCounter("gpt-4o-mini"), "gpt-4o-mini", dpo=True, on_row=lambda *a: None)
    rows._may_fork = True  # whatever the CPU count of the test machine
    for i in range(ROWS_PER_BATCH * 3):
        rows.add(i, 3, [], 3, f"chosen {i}", 3, f"rejected {i}")
    assert rows._worker is not None, "no counting worker was forked"
    print(listener.getsockname()[1], rows._worker.process.pid, flush=True)
    time.sleep(600)
    """
)


def _alive(pid: int) -> bool:
    """Running and not a zombie (an orphan's zombie may linger where PID 1 does not reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, /proc and PR_SET_PDEATHSIG are Linux")
def test_kill_9_of_a_building_parent_ends_the_child_and_frees_the_port() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    child = 0
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line, parent.stderr.read() if parent.stderr else "parent printed nothing"
        port, child = (int(x) for x in line.split())
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _wait_gone(child, 30), "the counting child outlived its killed parent"
        restart = socket.socket()
        restart.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        restart.bind(("127.0.0.1", port))  # "address already in use" while an orphan holds the socket
        restart.listen()
        restart.close()
    finally:
        if parent.poll() is None:
            parent.kill()
        if child and _alive(child):
            os.kill(child, signal.SIGKILL)


def test_the_child_does_not_hold_the_parents_socket(tmp_path: Path) -> None:
    """Without a kill: the forked worker's open descriptors include no socket (checked through /proc)."""
    from app.releases.export.counting import _Worker

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    worker = _Worker("gpt-4o-mini")
    try:
        worker.jobs.send(([], __import__("array").array("q"), False))
        worker.results.recv()  # the child has run its start-up by now
        fds = Path(f"/proc/{worker.process.pid}/fd")
        kinds = [os.readlink(fd) for fd in fds.iterdir()]
        assert not [k for k in kinds if k.startswith("socket:")], kinds
    finally:
        worker.stop(graceful=True)
        listener.close()
