"""Fixtures of the admin tests: signed-in admin and reviewer clients; jobs are captured, not queued."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.admin.helpers import make_client, sign_in
from tests.web_helpers import fast_hash, fast_passwords  # noqa: F401


@pytest.fixture(autouse=True)
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Job ids handed to the queue; tests run them with `app.jobs.runner.execute` instead of a worker."""
    ids: list[int] = []
    monkeypatch.setattr("app.jobs.service.enqueue", ids.append)
    return ids


@pytest.fixture
def admin(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr("app.auth.service.hash_password", fast_hash)
    return sign_in(engine, "adm", "admin")


@pytest.fixture
def reviewer(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr("app.auth.service.hash_password", fast_hash)
    return sign_in(engine, "rev", "reviewer")


@pytest.fixture
def anonymous(engine: Engine) -> TestClient:
    return make_client()
