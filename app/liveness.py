"""Owners and heartbeats of long operations (CLI imports, release builds), so a crash is noticed.

A long operation records who runs it (`host:pid`) and refreshes a heartbeat while it runs. After a
`kill -9` nobody finishes the row; the next start (or the periodic reaper) sees that the owner is gone (its
process no longer exists on this host, or its heartbeat went silent) and marks the row failed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, Table, update

from app.models_base import utcnow

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# A heartbeat silent this long means the owner is gone, wherever it ran.
STALE_AFTER = timedelta(seconds=60)


def owner_tag() -> str:
    """This process, as recorded on the rows it works on."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    try:  # an orphan's zombie is dead too (PID 1 of a container may not reap it)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def owner_gone(owner: str | None, heartbeat_at: datetime | None, *, now: datetime) -> bool:
    """True when the process that owns a running row cannot be running it any more."""
    if owner is None:
        return False  # rows from before owners were recorded: left to the job reaper
    host, _, pid = owner.rpartition(":")
    if (
        host == socket.gethostname()
        and pid.isdigit()
        and int(pid) != os.getpid()
        and not _pid_alive(int(pid))
    ):
        return True
    return heartbeat_at is None or heartbeat_at < now - STALE_AFTER


@contextlib.contextmanager
def heartbeat(
    engine: Engine, table: Table, row_id: int, *, every: float = HEARTBEAT_SECONDS
) -> Iterator[None]:
    """Refresh `heartbeat_at` of one row from a background thread while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with engine.begin() as connection:
                    connection.execute(
                        update(table).where(table.c.id == row_id).values(heartbeat_at=utcnow())
                    )
            except Exception:
                log.warning("heartbeat of %s %s failed", table.name, row_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"heartbeat-{table.name}-{row_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
