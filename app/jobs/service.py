"""Job rows: create, enqueue after commit, progress, finish, and failing jobs whose worker died."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import BackgroundTasks
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.errors import ConflictError, NotFoundError
from app.jobs.models import ENDED, Job, JobStatus
from app.models_base import utcnow

# A running job refreshes its heartbeat this often; one silent for STALE_AFTER is considered dead.
HEARTBEAT_SECONDS = 5
STALE_AFTER = timedelta(seconds=60)


def create_job(session: Session, *, kind: str, payload: dict[str, Any], user_id: int | None) -> Job:
    """A queued job row; call `enqueue(job.id)` only after the transaction commits."""
    job = Job(kind=kind, payload=payload, created_by_id=user_id)
    session.add(job)
    session.flush()
    return job


def enqueue(job_id: int) -> None:
    from app.jobs.tasks import run_job

    run_job(job_id)


def get_job(session: Session, *, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFoundError(f"job {job_id} does not exist")
    return job


def retry_job(session: Session, *, job_id: int) -> Job:
    """Put a failed or cancelled job back in the queue (its handler resumes or redoes the work)."""
    job = get_job(session, job_id=job_id)
    if job.status not in (JobStatus.failed, JobStatus.cancelled):
        raise ConflictError(f"job {job_id} is {job.status}; only failed or cancelled jobs can be retried")
    job.status, job.error, job.progress, job.finished_at, job.started_at = (
        JobStatus.queued,
        None,
        0,
        None,
        None,
    )
    session.add(job)
    return job


def cancel_job(session: Session, *, job_id: int) -> Job:
    job = get_job(session, job_id=job_id)
    if job.status in ENDED:
        raise ConflictError(f"job {job_id} already finished ({job.status})")
    job.status = JobStatus.cancelled if job.status == JobStatus.queued else JobStatus.cancelling
    session.add(job)
    return job


def mark_stale_jobs_failed(engine: Engine, *, stale_after: timedelta = STALE_AFTER) -> int:
    """Jobs whose worker stopped (killed, machine lost) are marked failed so they can be retried.

    Each kind's `on_stale` hook marks what the job was working on (an import's batch, say) too.
    """
    from app.db import session_scope
    from app.jobs.runner import STALE_HOOKS, load_handlers

    load_handlers()
    now = utcnow()
    with session_scope(engine) as session:
        stale = list(
            session.exec(
                select(Job).where(
                    col(Job.status).in_((JobStatus.running, JobStatus.cancelling)),
                    col(Job.heartbeat_at) < now - stale_after,
                )
            )
        )
        for job in stale:
            job.status, job.finished_at = JobStatus.failed, now
            job.error = "The worker running this job stopped (no heartbeat for over a minute). Retry it."
            session.add(job)
            hook = STALE_HOOKS.get(job.kind)
            if hook is not None:
                hook(session, job, now)
        return len(stale)


def recover_jobs(engine: Engine) -> None:
    """At worker start and every minute: fail jobs whose worker died, then let domains resume their work."""
    from app.jobs.runner import RECOVERIES

    mark_stale_jobs_failed(engine)
    for recover in RECOVERIES:
        recover(engine)


def _enqueue(job_id: int) -> None:
    enqueue(job_id)


def enqueue_after_response(background: BackgroundTasks, job_id: int) -> None:
    """Hand the job to the queue once the response is out, i.e. after the request's commit."""
    background.add_task(_enqueue, job_id)


def start_job(
    session: Session, background: BackgroundTasks, *, kind: str, payload: dict[str, Any], user_id: int | None
) -> Job:
    """A queued job, enqueued after the response (the request's transaction has committed by then)."""
    job = create_job(session, kind=kind, payload=payload, user_id=user_id)
    assert job.id is not None
    enqueue_after_response(background, job.id)
    return job
