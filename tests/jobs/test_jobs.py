"""Jobs run the same code embedded (SQLite queue inside the web process) and on a `pairwise worker` (Redis)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, func, select
from sqlmodel import col

from app.conversations.models import Conversation, ImportBatch, Turn
from app.db import session_scope
from app.jobs import runner
from app.jobs.models import Job
from app.jobs.service import create_job, mark_stale_jobs_failed, retry_job
from benchmarks.import_speed import write_sessions
from tests.conftest import needs_real_clock

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/14"


def _job(engine: Engine, kind: str, payload: dict[str, object]) -> int:
    with session_scope(engine) as session:
        job = create_job(session, kind=kind, payload=payload, user_id=None)
        assert job.id is not None
        return job.id


def _wait(engine: Engine, job_id: int, statuses: set[str], timeout: float = 60) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine, read_only=True) as session:
            job = session.get_one(Job, job_id)
            if job.status in statuses:
                return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not reach {statuses} in {timeout} s (last: {job.status})")


def _upload(tmp_path: Path, sessions: int) -> Path:
    folder = tmp_path / f"upload-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    write_sessions(folder, sessions)
    return folder


def _import_payload(engine: Engine, folder: Path) -> dict[str, object]:
    with session_scope(engine) as session:
        batch = ImportBatch(source="jobs-test")
        session.add(batch)
        session.flush()
        return {"folder": str(folder), "source": "jobs-test", "batch_id": batch.id}


def _no_partial_conversations(engine: Engine) -> None:
    with session_scope(engine, read_only=True) as session:
        stored = session.execute(select(col(Conversation.id), col(Conversation.turn_count))).all()
        counts: dict[int, int] = dict(
            session.execute(
                select(col(Turn.conversation_id), func.count()).group_by(col(Turn.conversation_id))
            ).all()
        )
    assert all(counts.get(cid, 0) == turns for cid, turns in stored)


class TestInProcess:
    def test_import_job_records_progress_and_result(self, engine: Engine, tmp_path: Path) -> None:
        job_id = _job(engine, "import", _import_payload(engine, _upload(tmp_path, 30)))
        runner.execute(engine, job_id)
        with session_scope(engine, read_only=True) as session:
            job = session.get(Job, job_id)
            assert job is not None
            assert job.status == "succeeded"
            assert job.result is not None
            assert job.result["conversations_added"] == 30
            assert job.progress == job.total
            batch = session.get(ImportBatch, job.result["batch_id"])
            assert batch is not None
            assert batch.status == "succeeded"

    def test_unknown_kind_fails_with_a_reason(self, engine: Engine) -> None:
        job_id = _job(engine, "no-such-kind", {})
        runner.execute(engine, job_id)
        job = _wait(engine, job_id, {"failed"}, timeout=1)
        assert job.error == "no handler for job kind 'no-such-kind'"

    def test_an_import_job_failing_in_the_database_shows_no_sql_or_data(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from sqlalchemy.exc import DataError

        def broken(*_: object, **__: object) -> list[object]:
            raise DataError(
                'INSERT INTO "turn" ("text") VALUES (?)', ("a private transcript",), Exception("NUL")
            )

        monkeypatch.setattr("app.conversations.import_writer.store_conversations", broken)
        job_id = _job(engine, "import", _import_payload(engine, _upload(tmp_path, 3)))
        runner.execute(engine, job_id)
        job = _wait(engine, job_id, {"failed"}, timeout=1)
        assert job.payload is not None
        with session_scope(engine, read_only=True) as session:
            batch = session.get(ImportBatch, job.payload["batch_id"])
        assert batch is not None
        for text in (job.error or "", batch.message or ""):
            assert "database error (DataError)" in text
            assert "INSERT" not in text
            assert "private transcript" not in text

    def test_a_finished_job_is_not_run_again(self, engine: Engine) -> None:
        job_id = _job(engine, "detect", {})
        runner.execute(engine, job_id)
        first = _wait(engine, job_id, {"succeeded"}, timeout=1)
        runner.execute(engine, job_id)
        again = _wait(engine, job_id, {"succeeded"}, timeout=1)
        assert again.finished_at == first.finished_at


@needs_real_clock
class TestEmbeddedConsumer:
    def test_the_embedded_worker_runs_queued_jobs(self, engine: Engine, tmp_path: Path) -> None:
        from app.jobs.queue import start_embedded
        from app.jobs.service import enqueue

        consumer = start_embedded(workers=1)
        try:
            job_id = _job(engine, "import", _import_payload(engine, _upload(tmp_path, 10)))
            enqueue(job_id)
            job = _wait(engine, job_id, {"succeeded", "failed"})
        finally:
            consumer.stop(graceful=True)
        assert job.status == "succeeded", job.error
        assert job.result is not None
        assert job.result["conversations_added"] == 10


def _worker_env(engine: Engine, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PAIRWISE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PAIRWISE_REDIS_URL": REDIS_URL,
        "PAIRWISE_DATA_DIR": str(tmp_path / "worker-data"),
        "PAIRWISE_MODE": "test",
        "PAIRWISE_LOG_LEVEL": "WARNING",
    }


def _enqueue_from_another_process(env: dict[str, str], job_id: int) -> None:
    code = f"from app.jobs.service import enqueue; enqueue({job_id})"
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=60)


@pytest.fixture
def redis_queue() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()


class TestRedisWorker:
    def test_a_worker_process_runs_jobs_from_redis(
        self, engine: Engine, tmp_path: Path, redis_queue: None
    ) -> None:
        env = _worker_env(engine, tmp_path)
        worker = subprocess.Popen(
            [sys.executable, "-m", "app", "worker", "--threads", "1"], env=env, cwd=ROOT
        )
        try:
            job_id = _job(engine, "import", _import_payload(engine, _upload(tmp_path, 12)))
            _enqueue_from_another_process(env, job_id)
            job = _wait(engine, job_id, {"succeeded", "failed"})
        finally:
            worker.send_signal(signal.SIGINT)
            worker.wait(30)
        assert job.status == "succeeded", job.error
        assert job.result is not None
        assert job.result["conversations_added"] == 12

    def test_a_killed_worker_leaves_a_failed_resumable_job(
        self, engine: Engine, tmp_path: Path, redis_queue: None
    ) -> None:
        """R4: kill -9 mid-import: no partial conversation, job and batch failed, a retry completes it."""
        env = _worker_env(engine, tmp_path)
        folder = _upload(tmp_path, 4000)
        payload = _import_payload(engine, folder)
        worker = subprocess.Popen(
            [sys.executable, "-m", "app", "worker", "--threads", "1"], env=env, cwd=ROOT
        )
        try:
            job_id = _job(engine, "import", payload)
            _enqueue_from_another_process(env, job_id)
            _wait(engine, job_id, {"running"})
            # Let it store a chunk or two, then kill it without warning.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with session_scope(engine, read_only=True) as session:
                    if session.execute(select(func.count()).select_from(Conversation)).scalar_one():
                        break
                time.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        _no_partial_conversations(engine)
        assert mark_stale_jobs_failed(engine, stale_after=timedelta(0)) == 1
        job = _wait(engine, job_id, {"failed"}, timeout=1)
        assert job.error is not None
        assert "worker" in job.error
        with session_scope(engine, read_only=True) as session:
            batch = session.get(ImportBatch, payload["batch_id"])
            assert batch is not None
            assert batch.status == "failed"
            assert batch.message is not None
            stored_before = session.execute(select(func.count()).select_from(Conversation)).scalar_one()
        assert 0 < stored_before < 4000

        with session_scope(engine) as session:
            retry_job(session, job_id=job_id)
        runner.execute(engine, job_id)
        job = _wait(engine, job_id, {"succeeded"}, timeout=1)
        assert job.result is not None
        assert job.result["conversations_added"] + job.result["duplicates"] == 4000
        with session_scope(engine, read_only=True) as session:
            assert session.execute(select(func.count()).select_from(Conversation)).scalar_one() == 4000
            batch = session.get(ImportBatch, payload["batch_id"])
            assert batch is not None
            assert batch.status == "succeeded"
        _no_partial_conversations(engine)
