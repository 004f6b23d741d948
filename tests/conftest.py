"""Test fixtures: every database test runs on SQLite and, when configured, again on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app import migrate
from app.config import get_settings
from app.db import build_engine, use_engine
from app.models import metadata

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "samples"
POSTGRES_URL = os.environ.get("PAIRWISE_TEST_POSTGRES_URL", "")
REQUIRE_ALL = os.environ.get("PAIRWISE_TEST_REQUIRE_ALL") == "1"
CHROMIUM = "/usr/bin/chromium"
# Under libfaketime (`faketime ... make test`, to check for day-boundary traps) a thread's timed wait
# (threading.Event.wait(timeout)) never returns, so tests that run the Huey consumer in process cannot work there.
UNDER_FAKETIME = "faketime" in os.environ.get("LD_PRELOAD", "")
needs_real_clock = pytest.mark.skipif(
    UNDER_FAKETIME,
    reason="libfaketime blocks timed thread waits, which the in-process job consumer relies on",
)

# PostgreSQL variants always exist; without a server they are reported as skipped with the reason (never silently
# left out), and CI (PAIRWISE_TEST_REQUIRE_ALL=1) fails on any skip.
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="PAIRWISE_TEST_POSTGRES_URL is not set"),
        ],
    ),
]

# A test about one backend's own machinery (FTS5, the planner) runs on that backend only, instead of skipping on
# the other (a skip fails CI).
only_sqlite = pytest.mark.parametrize("migrated_engine", [BACKENDS[0]], indirect=True)
only_postgres = pytest.mark.parametrize("migrated_engine", [BACKENDS[1]], indirect=True)


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_ALL and not POSTGRES_URL:
        raise pytest.UsageError("PAIRWISE_TEST_REQUIRE_ALL=1 but PAIRWISE_TEST_POSTGRES_URL is not set")
    if REQUIRE_ALL and not shutil.which(CHROMIUM):
        raise pytest.UsageError(f"PAIRWISE_TEST_REQUIRE_ALL=1 but {CHROMIUM} is missing")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: nothing may silently not run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if REQUIRE_ALL and skipped and exitstatus == 0 and reporter is not None:
        reporter.write_line(f"CI: {skipped} tests were skipped; skipping is not allowed here", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _test_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("PAIRWISE_MODE", "test")
    monkeypatch.setenv("PAIRWISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAIRWISE_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    # In-process tests post a verdict right after the page; the minimum delay is tested where it is set.
    monkeypatch.setenv("PAIRWISE_REVIEW_MIN_MS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _create_postgres_database() -> str:
    admin = create_engine(
        make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    name = f"pairwise_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(drivername="postgresql+psycopg", database=name).render_as_string(False)


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(
        make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """A factory of empty databases for one backend, dropped at the end of the session."""
    created: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'pairwise.db'}"
        url = _create_postgres_database()
        created.append(url)
        return url

    yield make
    for url in created:
        _drop_postgres_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    url = fresh_database_url(request.param)
    engine = build_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _clear(engine: Engine) -> None:
    """Empty every table; DELETE is ~10x faster than TRUNCATE on PostgreSQL for the few rows a test leaves."""
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as connection:
        for name in tables:
            connection.execute(text(f'DELETE FROM "{name}"'))
        if engine.dialect.name == "postgresql":  # outside the metadata; never emptied by the app
            connection.execute(text("DELETE FROM turn_search_words"))


@pytest.fixture
def engine(migrated_engine: Engine) -> Iterator[Engine]:
    """A migrated, empty database (SQLite, then PostgreSQL) that the app also uses for this test."""
    use_engine(migrated_engine)
    yield migrated_engine
    use_engine(None)
    _clear(migrated_engine)
