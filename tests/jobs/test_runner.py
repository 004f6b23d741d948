"""The job runner's outcomes: a handler's unexpected exception fails the job in words (logged with context),
a PairwiseError fails it with its own message, an unknown kind fails it, and a job runs only once."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import Engine

from app.db import session_scope
from app.errors import PairwiseError
from app.jobs import runner
from app.jobs.models import Job
from app.jobs.service import create_job


def run_kind(engine: Engine, kind: str) -> Job:
    with session_scope(engine) as session:
        job = create_job(session, kind=kind, payload={"n": 1}, user_id=None)
        job_id = job.id
    assert job_id is not None
    runner.execute(engine, job_id)
    with session_scope(engine, read_only=True) as session:
        row = session.get(Job, job_id)
        assert row is not None
        return row


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> dict[str, runner.Handler]:
    runner.load_handlers()
    table = dict(runner.HANDLERS)
    monkeypatch.setattr(runner, "HANDLERS", table)
    monkeypatch.setattr(runner, "load_handlers", lambda: None)
    return table


def test_an_unexpected_exception_fails_the_job_with_its_type_and_logs_it(
    engine: Engine, handlers: dict[str, runner.Handler], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(ctx: runner.JobContext) -> dict[str, Any]:
        raise KeyError("batch_id")

    handlers["test-broken"] = broken
    caplog.set_level(logging.ERROR)
    job = run_kind(engine, "test-broken")
    assert job.status == "failed"
    assert job.error == "unexpected error: KeyError: 'batch_id'"
    assert job.finished_at is not None
    assert f"job {job.id} (test-broken) failed" in caplog.text
    assert "Traceback" in caplog.text, "the log keeps the stack; the job row keeps words"


def test_a_pairwise_error_fails_the_job_with_its_message(
    engine: Engine, handlers: dict[str, runner.Handler]
) -> None:
    def refuses(ctx: runner.JobContext) -> dict[str, Any]:
        raise PairwiseError("release 4 has no rows")

    handlers["test-refuses"] = refuses
    job = run_kind(engine, "test-refuses")
    assert (job.status, job.error) == ("failed", "release 4 has no rows")


def test_an_unknown_kind_fails_in_words(engine: Engine, handlers: dict[str, runner.Handler]) -> None:
    job = run_kind(engine, "no-such-kind")
    assert (job.status, job.error) == ("failed", "no handler for job kind 'no-such-kind'")


def test_a_finished_job_is_not_run_again(engine: Engine, handlers: dict[str, runner.Handler]) -> None:
    calls: list[int] = []

    def counts(ctx: runner.JobContext) -> dict[str, Any]:
        calls.append(ctx.job_id)
        return {"ok": True}

    handlers["test-counts"] = counts
    job = run_kind(engine, "test-counts")
    assert (job.status, job.result) == ("succeeded", {"ok": True})
    runner.execute(engine, job.id or 0)
    assert calls == [job.id]
