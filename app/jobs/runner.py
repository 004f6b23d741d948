"""Running one job: status transitions, a heartbeat thread, progress updates, and errors in words."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import col, select

from app.db import session_scope
from app.errors import PairwiseError
from app.jobs.models import Job
from app.jobs.service import HEARTBEAT_SECONDS
from app.models_base import utcnow

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a handler when an admin cancelled the job."""


@dataclass(slots=True)
class JobContext:
    engine: Engine
    job_id: int
    payload: dict[str, Any]
    user_id: int | None

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Record progress in its own short transaction; raise JobCancelled when a cancel was asked for."""
        values: dict[str, Any] = {"progress": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message[:2000]
        with session_scope(self.engine) as session:
            session.execute(update(Job).where(col(Job.id) == self.job_id).values(**values))
            status = session.execute(select(col(Job.status)).where(col(Job.id) == self.job_id)).scalar_one()
        if status == "cancelling":
            raise JobCancelled()

    def remember(self, **values: Any) -> None:
        """Store values in the job's payload so a retry continues where this run started (e.g. its batch)."""
        self.payload.update(values)
        with session_scope(self.engine) as session:
            job = session.get(Job, self.job_id)
            if job is not None:
                job.payload = {**(job.payload or {}), **values}
                session.add(job)


Handler = Callable[[JobContext], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def load_handlers() -> None:
    """Import the domain modules whose @handler functions run jobs (they import this module)."""
    from app.assist import jobs as _assist  # noqa: F401
    from app.conversations import jobs as _imports  # noqa: F401
    from app.pairs import jobs as _detect  # noqa: F401
    from app.releases import jobs as _releases  # noqa: F401
    from app.training import jobs as _training  # noqa: F401


def execute(engine: Engine, job_id: int) -> None:
    """Run job `job_id` if it is still queued; every outcome ends in a final status with a reason."""
    load_handlers()
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "queued":
            return
        job.status, job.started_at, job.heartbeat_at = "running", utcnow(), utcnow()
        session.add(job)
        kind, payload, user_id = job.kind, dict(job.payload or {}), job.created_by_id
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(engine, job_id, stop), daemon=True)
    beat.start()
    status, error, result = "succeeded", None, None
    try:
        function = HANDLERS.get(kind)
        if function is None:
            raise PairwiseError(f"no handler for job kind {kind!r}")
        result = function(JobContext(engine=engine, job_id=job_id, payload=payload, user_id=user_id))
    except JobCancelled:
        status = "cancelled"
    except PairwiseError as exc:
        status, error = "failed", str(exc)
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, kind)
        status, error = "failed", f"unexpected error: {type(exc).__name__}: {exc}"[:4000]
    finally:
        stop.set()
        beat.join()
    with session_scope(engine) as session:
        session.execute(
            update(Job)
            .where(col(Job.id) == job_id)
            .values(status=status, error=error, result=result, finished_at=utcnow(), heartbeat_at=utcnow())
        )


def _heartbeat(engine: Engine, job_id: int, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            with session_scope(engine) as session:
                session.execute(update(Job).where(col(Job.id) == job_id).values(heartbeat_at=utcnow()))
        except Exception:
            log.warning("heartbeat of job %s failed", job_id, exc_info=True)
