"""R7: a worker killed mid-launch or mid-poll; the restart finds the provider job by metadata and resumes.

The job runs in a real child process (as `pairwise worker` would run it) that is killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import col

from app.config import get_settings
from app.db import session_scope
from app.jobs.models import Job
from app.jobs.service import mark_stale_jobs_failed
from app.models_base import utcnow
from app.training.jobs import resume_runs
from app.training.models import TrainingRun
from tests.training.conftest import events_of, execute, launch, load_run, make_release
from tests.training.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
WORKER = (
    "import sys\n"
    "from app.db import get_engine\n"
    "from app.jobs import runner\n"
    "from app.training import jobs\n"
    "runner.execute(get_engine(), int(sys.argv[1]))\n"
)


def start_worker(engine: Engine, job_id: int, fake: FakeOpenAI) -> subprocess.Popen[bytes]:
    settings = get_settings()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAIRWISE_", "OPENAI_"))}
    env.update(
        PAIRWISE_MODE="test", PAIRWISE_SECRET_KEY=settings.secret_key, PAIRWISE_DATA_DIR=str(settings.data_dir),
        PAIRWISE_ALLOW_PRIVATE_ENDPOINTS="true",
        PAIRWISE_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY=fake.api_key, PYTHONPATH=str(ROOT),
    )  # fmt: skip
    return subprocess.Popen([sys.executable, "-c", WORKER, str(job_id)], cwd=ROOT, env=env)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def restart(engine: Engine) -> list[int]:
    """What a restarted worker sees a minute later: the dead job's heartbeat is old, the reaper fails it, and
    resume gives the run a new job."""
    with session_scope(engine) as session:
        session.execute(update(Job).values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    assert mark_stale_jobs_failed(engine) >= 1
    return resume_runs(engine)


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_crash_between_remote_create_and_commit_creates_exactly_one_job(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    # The provider creates the job but holds its answer; the worker dies before it can commit the job id.
    openai_env.hold_create = threading.Event()
    worker = start_worker(training_engine, job_id, openai_env)
    try:
        assert openai_env.create_seen.wait(timeout=60), "the worker never reached the create"
        kill(worker)
    finally:
        if worker.poll() is None:
            kill(worker)
        openai_env.hold_create.set()
    openai_env.hold_create = None
    run = load_run(training_engine, run_id)
    assert run.remote_job_id is None
    assert run.status == "uploading"
    assert len(openai_env.jobs) == 1

    (new_job,) = restart(training_engine)
    assert new_job != job_id
    assert resume_runs(training_engine) == [], "a second resume must not start another job"
    assert execute(training_engine, new_job).status == "succeeded"
    run = load_run(training_engine, run_id)
    (remote,) = openai_env.jobs.values()
    assert run.remote_job_id == remote["id"]
    assert run.status == "succeeded"
    assert len(openai_env.calls("POST", "/v1/fine_tuning/jobs")) == 1, "a restart created a second remote job"
    assert len(openai_env.calls("POST", "/v1/files")) == 1, "the uploaded file id was committed and reused"
    messages = [e.message for e in events_of(training_engine, run_id)]
    assert f"resumed: train job {new_job}" in messages
    assert (
        f"found provider job {remote['id']} (created before a restart); no second job is created" in messages
    )


def test_polling_resumes_after_a_restart(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    openai_env.total_steps = 1000  # long enough that the first worker is surely mid-poll when killed
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release, poll_seconds=0.05)
    worker = start_worker(training_engine, job_id, openai_env)
    try:
        wait_for(lambda: (load_run(training_engine, run_id).step or 0) >= 2)
    finally:
        kill(worker)
    before = load_run(training_engine, run_id)
    assert before.status == "running"
    assert before.remote_job_id
    openai_env.total_steps = before.step or 0  # let the job finish on the next polls
    (poll_job,) = restart(training_engine)
    with session_scope(training_engine, read_only=True) as session:
        assert session.get_one(Job, poll_job).kind == "poll"
        assert session.get_one(TrainingRun, run_id).job_id == poll_job
    assert execute(training_engine, poll_job).status == "succeeded"
    after = load_run(training_engine, run_id)
    assert after.status == "succeeded"
    assert after.remote_job_id == before.remote_job_id
    assert len(openai_env.calls("POST", "/v1/fine_tuning/jobs")) == 1
    remote_ids = [e.remote_id for e in events_of(training_engine, run_id) if e.remote_id]
    assert len(remote_ids) == len(set(remote_ids))


def test_an_old_job_steps_aside_for_the_resumed_one(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    with session_scope(training_engine) as session:
        session.execute(update(Job).where(col(Job.id) == job_id).values(status="failed"))
    (new_job,) = resume_runs(training_engine)
    with session_scope(training_engine) as session:
        session.execute(update(Job).where(col(Job.id) == job_id).values(status="queued"))
    assert execute(training_engine, job_id).result == {"skipped": f"job {new_job} drives run {run_id}"}
    assert openai_env.requests == []
    assert execute(training_engine, new_job).status == "succeeded"
