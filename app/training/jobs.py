"""Job handlers "train" (start a run and follow it) and "poll" (follow a run after a restart), and the
resume step that a restart or the minutely maintenance task calls."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from app.db import session_scope
from app.errors import PairwiseError
from app.jobs.runner import JobCancelled, JobContext, handler, on_recover
from app.jobs.service import enqueue
from app.training.backends import get_backend
from app.training.driver import RunDriver
from app.training.models import TERMINAL, RunStatus
from app.training.provider import known_secrets
from app.training.service import attach_job, resumable_runs

log = logging.getLogger(__name__)


def _drive(ctx: JobContext, *, follow: bool) -> dict[str, Any]:
    driver = RunDriver(ctx=ctx, run_id=int(ctx.payload["run_id"]))
    # Known before anything runs, so even an error raised before the backend builds its client is redacted.
    with session_scope(ctx.engine, read_only=True) as session:
        driver.secrets.extend(known_secrets(session))
    run = driver.load()
    backend = get_backend(run.backend)
    try:
        result = backend.follow(driver) if follow else backend.execute(driver)
    except JobCancelled:
        # The job row was cancelled (not only the run): the run is cancelled too, and whoever drives it next
        # (a resumed job) stops the provider job or finishes the cancel.
        run = driver.load()
        if run.status not in TERMINAL:
            driver.update(cancel_requested=True, status=RunStatus.cancelling)
        raise
    except PairwiseError as exc:
        _fail_if_active(driver, str(exc))
        raise PairwiseError(driver.redact(str(exc))) from None
    except Exception as exc:
        # Never let a provider's text (which may echo the key) reach the runner's traceback log.
        message = driver.redact(f"{type(exc).__name__}: {exc}")
        log.error("training run %s: unexpected error: %s", driver.run_id, message)
        _fail_if_active(driver, f"unexpected error: {message}")
        raise PairwiseError(f"unexpected error: {message}") from None
    # The job ends as its run did, so job lists and `--wait` tell the same story as the run page.
    run = driver.load()
    if run.job_id == ctx.job_id:
        if run.status == RunStatus.failed:
            raise PairwiseError(run.error or "the training run failed")
        if run.status == RunStatus.cancelled:
            raise JobCancelled()
    return result


def _fail_if_active(driver: RunDriver, message: str) -> None:
    run = driver.load()
    if run.status not in TERMINAL:
        driver.set_status(RunStatus.failed, f"failed: {message}", level="error", error=message)


@handler("train")
def train_job(ctx: JobContext) -> dict[str, Any]:
    """Payload: run_id. Uploads/creates (never twice) or starts the TRL process, then follows the run."""
    return _drive(ctx, follow=False)


@handler("poll")
def poll_job(ctx: JobContext) -> dict[str, Any]:
    """Payload: run_id. Follows a run whose provider job exists (after a restart)."""
    return _drive(ctx, follow=True)


@on_recover
def resume_runs(engine: Engine) -> list[int]:
    """Give every active run whose job is gone a new job, and enqueue it. Returns the new job ids.

    Call it when a worker starts and once a minute after `mark_stale_jobs_failed` (a crashed worker's job is
    failed by then): OpenAI runs resume polling (or look up, then create, if the crash came before we
    stored the provider's job id); a TRL run's process died with its worker, so its run is marked failed.
    """
    job_ids: list[int] = []
    with session_scope(engine) as session:
        for item in resumable_runs(session):
            job = attach_job(session, run_id=item.run_id, kind=item.kind)
            job_ids.append(job.id or 0)
    for job_id in job_ids:
        enqueue(job_id)
    return job_ids
