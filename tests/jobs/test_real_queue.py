"""Admin pages start jobs on the real queue: the embedded Huey consumer (as `pairwise serve` runs it) picks them
up in this process, once per job kind started from a page (import, release build, re-detection). Other page tests
record enqueued ids (the `enqueued` fixture) and run jobs directly; these prove the queue path itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from app.db import session_scope
from app.jobs.models import Job, JobStatus
from app.jobs.queue import EmbeddedConsumer, start_embedded
from app.releases.models import DatasetRelease, ReleaseStatus
from tests.conftest import needs_real_clock
from tests.page_helpers import csrf_of, job_id_of, upload

pytestmark = needs_real_clock

ROOT = Path(__file__).resolve().parents[2]


def wait_for(engine: Engine, job_id: int, timeout: float = 60) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(engine, read_only=True) as session:
            job = session.get(Job, job_id)
            assert job is not None
            if job.status in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled):
                return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.status} after {timeout} s"
        time.sleep(0.05)


@pytest.fixture
def consumer(engine: Engine) -> Iterator[EmbeddedConsumer]:
    running = start_embedded(workers=1)
    yield running
    running.stop(graceful=True)


def session_file(n: int) -> bytes:
    rows = [
        {"messages": [
            {"role": "user", "content": f"How do I cache request {i}?"},
            {"role": "assistant", "content": "Use a dict."},
            {"role": "user", "content": "That's wrong: a dict grows without bound. Use an LRU with a size limit."},
            {"role": "assistant", "content": "Right: functools.lru_cache(maxsize=1024) bounds it."},
        ]}
        for i in range(n)
    ]  # fmt: skip
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def test_an_upload_is_imported_by_the_queue(
    engine: Engine, admin: TestClient, consumer: EmbeddedConsumer
) -> None:
    job = wait_for(engine, job_id_of(upload(admin, [("files", "chats.jsonl", session_file(5))])))
    assert job.status == JobStatus.succeeded, job.error
    assert job.result is not None
    assert job.result["conversations_added"] == 5


def test_a_release_is_built_by_the_queue(
    engine: Engine, admin: TestClient, consumer: EmbeddedConsumer
) -> None:
    wait_for(engine, job_id_of(upload(admin, [("files", "chats.jsonl", session_file(3))])))
    response = admin.post(
        "/admin/releases",
        data={
            "name": "queued build",
            "kind": "sft",
            "format": "openai",
            "status": "candidate",
            "csrf_token": csrf_of(admin),
        },
    )
    assert response.status_code == 303, response.text
    release_id = int(response.headers["location"].rsplit("/", 1)[1])
    deadline = time.monotonic() + 60
    while True:
        with session_scope(engine, read_only=True) as session:
            release = session.get(DatasetRelease, release_id)
            assert release is not None
            if release.status != ReleaseStatus.building:
                break
        assert time.monotonic() < deadline, "the release job never ran"
        time.sleep(0.05)
    assert release.status == ReleaseStatus.ready, release.error
    assert release.counts["train"] == 3


def test_redetection_runs_on_the_queue(engine: Engine, admin: TestClient, consumer: EmbeddedConsumer) -> None:
    wait_for(engine, job_id_of(upload(admin, [("files", "chats.jsonl", session_file(2))])))
    response = admin.post("/admin/settings/redetect", data={"csrf_token": csrf_of(admin)})
    job = wait_for(engine, job_id_of(response))
    assert job.kind == "detect"
    assert job.status == JobStatus.succeeded, job.error
