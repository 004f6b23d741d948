"""Fixtures for training tests: the training tables, a fake OpenAI server, releases, and running jobs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.config import get_settings
from app.db import session_scope
from app.jobs import runner
from app.jobs.models import Job
from app.releases.service import build_release
from app.training import jobs as _handlers  # noqa: F401  (registers the "train" and "poll" handlers)
from app.training.models import RunEvent, TrainingRun
from app.training.service import launch_run
from tests.releases.factories import add_many
from tests.training.fake_openai import FakeOpenAI
from tests.web_helpers import fast_passwords  # noqa: F401


@pytest.fixture
def training_engine(engine: Engine) -> Engine:
    """The migrated test database; the release and training tables come from the migrations like every other."""
    return engine


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def openai_env(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    """Nothing saved in settings: the SDK's own OPENAI_BASE_URL / OPENAI_API_KEY point at the fake."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", fake_openai.api_key)
    return fake_openai


def make_release(
    engine: Engine,
    *,
    kind: str = "sft",
    format: str = "openai",
    rows: int = 12,
    split: float = 0.0,
    **kw: Any,
) -> int:
    with session_scope(engine) as session:
        add_many(session, rows)
    with session_scope(engine) as session:
        release = build_release(
            session, name=f"{kind} {format} release", kind=kind, format=format,
            data_dir=get_settings().data_dir, split=split, **kw,
        )  # fmt: skip
        assert release.status == "ready", release.error
        return release.id or 0


def launch(engine: Engine, release_id: int, **kw: Any) -> tuple[int, int]:
    """Create a run and its train job the way the web form and CLI do; returns (run id, job id)."""
    kw.setdefault("backend", "openai")
    kw.setdefault("base_model", "gpt-4.1-mini-2025-04-14")
    kw.setdefault("poll_seconds", 0.02)
    kw.setdefault("backoff_seconds", 0.01)
    with session_scope(engine) as session:
        run, job = launch_run(session, release_id=release_id, **kw)
        return run.id or 0, job.id or 0


def execute(engine: Engine, job_id: int) -> Job:
    """Run a job through the real runner (what the Huey task does) and return its final row."""
    runner.execute(engine, job_id)
    with session_scope(engine, read_only=True) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def load_run(engine: Engine, run_id: int) -> TrainingRun:
    with session_scope(engine, read_only=True) as session:
        run = session.get(TrainingRun, run_id)
        assert run is not None
        return run


def events_of(engine: Engine, run_id: int) -> list[RunEvent]:
    with session_scope(engine, read_only=True) as session:
        return list(
            session.execute(
                select(RunEvent).where(col(RunEvent.run_id) == run_id).order_by(col(RunEvent.id))
            ).scalars()
        )
