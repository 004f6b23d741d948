"""The one Huey task: run a job row by id. Handlers register per kind in their own domains."""

from __future__ import annotations

from huey import crontab

from app.db import get_engine
from app.jobs import runner
from app.jobs.queue import get_huey
from app.jobs.service import mark_stale_jobs_failed

huey = get_huey()


@huey.task()
def run_job(job_id: int) -> None:
    runner.execute(get_engine(), job_id)


@huey.periodic_task(crontab(minute="*"))
def reap_stale_jobs() -> None:
    """Every minute: jobs, imports and release builds whose process died are marked failed, and remote
    training runs resume polling."""
    from app.reaper import reap_stale_operations
    from app.training.jobs import resume_runs

    mark_stale_jobs_failed(get_engine())
    reap_stale_operations(get_engine())
    resume_runs(get_engine())
