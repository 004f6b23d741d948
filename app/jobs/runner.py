"""Running one job: status transitions, a heartbeat thread, progress updates, and errors in words."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from app.db import session_scope
from app.errors import PairwiseError
from app.jobs.models import Job, JobStatus
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
        if status == JobStatus.cancelling:
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
StaleHook = Callable[[Session, Job, datetime], None]
ReportHook = Callable[[Session, Job], dict[str, Any]]
RecoveryHook = Callable[[Engine], object]
HANDLERS: dict[str, Handler] = {}
STALE_HOOKS: dict[str, StaleHook] = {}
REPORTS: dict[str, ReportHook] = {}
RECOVERIES: list[RecoveryHook] = []


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind`."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def on_stale(kind: str) -> Callable[[StaleHook], StaleHook]:
    """Register what else to mark when a job of `kind` is failed because its worker died."""

    def register(function: StaleHook) -> StaleHook:
        STALE_HOOKS[kind] = function
        return function

    return register


def report(kind: str) -> Callable[[ReportHook], ReportHook]:
    """Register what the job page shows of an ended job of `kind` (e.g. an import's file and error report)."""

    def register(function: ReportHook) -> ReportHook:
        REPORTS[kind] = function
        return function

    return register


def on_recover(function: RecoveryHook) -> RecoveryHook:
    """Register work a worker resumes at start and every minute after stale jobs are failed."""
    RECOVERIES.append(function)
    return function


def load_handlers() -> None:
    """Import the root registry `app.tasks`, which imports each domain's jobs module (they import this one)."""
    importlib.import_module("app.tasks")


def execute(engine: Engine, job_id: int) -> None:
    """Run job `job_id` if it is still queued; every outcome ends in a final status with a reason."""
    load_handlers()
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status != JobStatus.queued:
            return
        job.status, job.started_at, job.heartbeat_at = JobStatus.running, utcnow(), utcnow()
        session.add(job)
        kind, payload, user_id = job.kind, dict(job.payload or {}), job.created_by_id
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(engine, job_id, stop), daemon=True)
    beat.start()
    status, error, result = JobStatus.succeeded, None, None
    try:
        function = HANDLERS.get(kind)
        if function is None:
            raise PairwiseError(f"no handler for job kind {kind!r}")
        result = function(JobContext(engine=engine, job_id=job_id, payload=payload, user_id=user_id))
    except JobCancelled:
        status = JobStatus.cancelled
    except PairwiseError as exc:
        status, error = JobStatus.failed, str(exc)
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, kind)
        status, error = JobStatus.failed, f"unexpected error: {type(exc).__name__}: {exc}"[:4000]
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
