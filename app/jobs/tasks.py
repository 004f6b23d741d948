"""The one Huey task: run a job row by id. Handlers register per kind in their own domains."""

from __future__ import annotations

from huey import crontab

from app.db import get_engine
from app.jobs import runner
from app.jobs.queue import get_huey
from app.jobs.service import recover_jobs

huey = get_huey()


@huey.task()
def run_job(job_id: int) -> None:
    runner.execute(get_engine(), job_id)


@huey.periodic_task(crontab(minute="*"))
def reap_stale_jobs() -> None:
    """Every minute: jobs whose worker died are marked failed, and domains resume their work."""
    recover_jobs(get_engine())
