"""R6: engines and units of work: SQLite pragmas, BEGIN IMMEDIATE writes, psycopg URLs, commit, rollback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.config import WEB_CONNECTION_BUDGET, get_settings
from app.conversations.models import ImportBatch, Turn
from app.db import (
    WAL_AUTOCHECKPOINT_PAGES,
    BackgroundCheckpoints,
    _normalize_url,
    build_engine,
    connection_shortfall,
    get_engine,
    session_scope,
    use_engine,
)
from app.settings.models import AppSetting
from tests.conftest import POSTGRES_URL


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = build_engine(f"sqlite:///{tmp_path / 'db' / 'pairwise.db'}", busy_timeout_ms=5000)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter (id, value) VALUES (1, 0)"))
    yield engine
    engine.dispose()


def _statements(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        seen.append(statement)

    return seen


class TestSqlitePragmas:
    def test_every_connection_has_foreign_keys_wal_and_busy_timeout(self, sqlite_engine: Engine) -> None:
        with sqlite_engine.connect() as connection:
            pragmas = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
            }
        assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000, "synchronous": 1}

    def test_default_busy_timeout_is_15_seconds(self, tmp_path: Path) -> None:
        engine = build_engine(f"sqlite:///{tmp_path / 'default.db'}")
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        engine.dispose()

    def test_missing_parent_folder_is_created(self, tmp_path: Path) -> None:
        target = tmp_path / "a" / "b" / "pairwise.db"
        engine = build_engine(f"sqlite:///{target}")
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        engine.dispose()
        assert target.is_file()

    def test_a_new_database_has_16_kb_pages(self, sqlite_engine: Engine) -> None:
        with sqlite_engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 16384


class TestBackgroundCheckpoints:
    """A long write copies its WAL into the database from another thread, not at its own commits."""

    def test_its_transactions_skip_the_checkpoint_and_the_next_ones_do_not(
        self, sqlite_engine: Engine
    ) -> None:
        checkpoints = BackgroundCheckpoints(sqlite_engine)
        pragma = text("PRAGMA wal_autocheckpoint")
        with session_scope(checkpoints.engine) as session:
            assert session.execute(pragma).scalar_one() == 0
        # The pool hands the same connection out again: it checkpoints at its commits as before.
        with session_scope(sqlite_engine) as session:
            assert session.execute(pragma).scalar_one() == WAL_AUTOCHECKPOINT_PAGES
        with session_scope(sqlite_engine, read_only=True) as session:
            assert session.execute(pragma).scalar_one() == WAL_AUTOCHECKPOINT_PAGES

    def test_committed_copies_the_log_into_the_database_file(
        self, sqlite_engine: Engine, tmp_path: Path
    ) -> None:
        database = tmp_path / "db" / "pairwise.db"
        checkpoints = BackgroundCheckpoints(sqlite_engine)
        with session_scope(checkpoints.engine) as session:
            session.execute(text("CREATE TABLE blob (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
            session.execute(text("INSERT INTO blob (body) VALUES (:b)"), [{"b": "x" * 100_000}] * 40)
        before = database.stat().st_size
        checkpoints.committed()
        checkpoints.close()
        assert before < 1_000_000  # 4 MB sit in the log, not yet in the database
        assert database.stat().st_size > 4_000_000
        with sqlite_engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM blob").scalar_one() == 40

    @pytest.mark.postgres
    @pytest.mark.skipif(not POSTGRES_URL, reason="PAIRWISE_TEST_POSTGRES_URL is not set")
    def test_postgresql_is_left_as_it_is(self) -> None:
        engine = build_engine(POSTGRES_URL)
        checkpoints = BackgroundCheckpoints(engine)
        assert checkpoints.engine is engine
        checkpoints.committed()
        checkpoints.close()
        engine.dispose()


class TestSqliteTransactions:
    def test_write_units_begin_immediate_and_read_only_units_begin_deferred(
        self, sqlite_engine: Engine
    ) -> None:
        seen = _statements(sqlite_engine)
        with session_scope(sqlite_engine) as session:
            session.execute(text("UPDATE counter SET value = 1"))
        with session_scope(sqlite_engine, read_only=True) as session:
            session.execute(text("SELECT value FROM counter"))
        begins = [s for s in seen if s.startswith("BEGIN")]
        assert begins == ["BEGIN IMMEDIATE", "BEGIN"]

    def test_concurrent_read_then_write_units_all_succeed_without_lost_updates(
        self, sqlite_engine: Engine
    ) -> None:
        """Each unit reads the counter, waits, then writes counter + 1: deferred BEGIN would fail here
        with 'database is locked' (a read transaction cannot upgrade after another writer committed)."""
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def work() -> None:
            try:
                start.wait()
                with session_scope(sqlite_engine) as session:
                    value = session.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
                    time.sleep(0.03)
                    session.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1})
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        with sqlite_engine.connect() as connection:
            assert connection.execute(text("SELECT value FROM counter")).scalar_one() == 4

    def test_readers_are_not_blocked_by_an_open_write_transaction(self, sqlite_engine: Engine) -> None:
        with session_scope(sqlite_engine) as writer:
            writer.execute(text("UPDATE counter SET value = 7"))
            # WAL: the reader sees the last committed value. Were it blocked by the open write transaction (same
            # thread), it would wait out the busy timeout and raise "database is locked" instead.
            with session_scope(sqlite_engine, read_only=True) as reader:
                assert reader.execute(text("SELECT value FROM counter")).scalar_one() == 0
        with sqlite_engine.connect() as connection:
            assert connection.execute(text("SELECT value FROM counter")).scalar_one() == 7


class TestSessionScope:
    def test_commits_on_success(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            session.add(ImportBatch(source="committed"))
        with session_scope(engine, read_only=True) as session:
            assert session.execute(select(col(ImportBatch.source))).scalars().all() == ["committed"]

    def test_rolls_back_on_error(self, engine: Engine) -> None:
        def fail_midway() -> None:
            with session_scope(engine) as session:
                session.add(ImportBatch(source="rolled back"))
                session.flush()
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail_midway()
        with session_scope(engine, read_only=True) as session:
            assert session.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == 0

    @pytest.mark.parametrize("value", [3, 0.7, "text", True, None, [1, "a"], {"k": [1.5]}])
    def test_json_values_round_trip(self, engine: Engine, value: object) -> None:
        """A JSON column must give back what was stored; on SQLite a bare number comes back as a number
        (the JSON column has NUMERIC affinity), which orjson.loads refuses."""
        with session_scope(engine) as session:
            session.add(AppSetting(key="detection_threshold", value=value))
        with session_scope(engine, read_only=True) as session:
            assert session.get_one(AppSetting, "detection_threshold").value == value

    def test_foreign_keys_are_enforced(self, engine: Engine) -> None:
        with pytest.raises(IntegrityError), session_scope(engine) as session:
            session.add(Turn(conversation_id=999_999, index=0, role="user", text="orphan"))
        with session_scope(engine, read_only=True) as session:
            assert session.execute(select(func.count()).select_from(Turn)).scalar_one() == 0

    def test_default_engine_is_the_one_in_use(self, engine: Engine) -> None:
        assert get_engine() is engine
        with session_scope() as session:
            bind = session.get_bind()
            assert isinstance(bind, Engine)
            assert bind.url == engine.url

    def test_a_one_statement_read_skips_begin_and_commit_on_postgres(self, engine: Engine) -> None:
        """Every request's sign-in check reads with one statement: on PostgreSQL it runs in autocommit (two
        round trips fewer); the pooled connection is a transactional one again for the next unit of work."""
        postgres = engine.dialect.name == "postgresql"
        for _ in range(2):
            with session_scope(engine, read_only=True, one_statement=True) as session:
                assert session.execute(select(func.count()).select_from(AppSetting)).scalar_one() == 0
                dbapi = session.connection().connection.dbapi_connection
                assert dbapi is not None
                if postgres:
                    assert dbapi.autocommit is True
            for read_only in (False, True):
                with session_scope(engine, read_only=read_only) as session:
                    dbapi = session.connection().connection.dbapi_connection
                    assert dbapi is not None
                    if postgres:
                        assert dbapi.autocommit is False
        with session_scope(engine) as session:
            session.add(AppSetting(key="overlap", value=2))
            session.flush()
            with session_scope(engine, read_only=True, one_statement=True) as other:
                assert other.get(AppSetting, "overlap") is None  # uncommitted elsewhere: not seen


class TestEngineFromSettings:
    def test_get_engine_builds_from_the_settings_database_url(self, tmp_path: Path) -> None:
        use_engine(None)
        try:
            engine = get_engine()
            assert engine.url.database == str(tmp_path / "data" / "pairwise.db")
            assert get_engine() is engine
            engine.dispose()
        finally:
            use_engine(None)


class TestPostgresUrls:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("postgres://u:p@db:5432/pw", "postgresql+psycopg://u:p@db:5432/pw"),
            ("postgresql://u:p@db:5432/pw", "postgresql+psycopg://u:p@db:5432/pw"),
            ("postgresql+psycopg://u:p@db/pw", "postgresql+psycopg://u:p@db/pw"),
            ("postgresql+psycopg2://u:p@db/pw", "postgresql+psycopg://u:p@db/pw"),
            ("sqlite:///data/pairwise.db", "sqlite:///data/pairwise.db"),
        ],
    )
    def test_urls_are_normalized_to_psycopg(self, url: str, expected: str) -> None:
        assert _normalize_url(url) == expected

    @pytest.mark.parametrize("url", ["postgres://u@localhost/pw", "postgresql://u@localhost/pw"])
    def test_engine_uses_psycopg3(self, url: str) -> None:
        engine = build_engine(url)  # builds without connecting
        assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
        assert engine.url.database == "pw"
        engine.dispose()


class TestConnectionPool:
    """Several web processes on one PostgreSQL: each process's pool is its share of the connections."""

    @pytest.mark.parametrize(
        ("processes", "limits"), [(1, (10, 20)), (2, (10, 20)), (4, (5, 10)), (8, (2, 5))]
    )
    def test_pool_is_derived_from_the_web_processes(
        self, monkeypatch: pytest.MonkeyPatch, processes: int, limits: tuple[int, int]
    ) -> None:
        monkeypatch.setenv("PAIRWISE_WEB_PROCESSES", str(processes))
        get_settings.cache_clear()
        assert get_settings().pool_limits() == limits
        size, overflow = limits
        assert processes * (size + overflow) <= max(WEB_CONNECTION_BUDGET, processes * 5)

    @pytest.mark.parametrize(
        ("processes", "cores", "requests"),
        [(1, 1, 4), (1, 2, 4), (1, 16, 32), (2, 2, 2), (3, 2, 2), (4, 2, 1), (8, 2, 1), (4, 8, 4)],
    )
    def test_active_requests_are_about_two_per_core_over_all_processes(
        self, monkeypatch: pytest.MonkeyPatch, processes: int, cores: int, requests: int
    ) -> None:
        monkeypatch.setenv("PAIRWISE_WEB_PROCESSES", str(processes))
        get_settings.cache_clear()
        assert get_settings().active_requests(cores) == requests

    def test_active_requests_setting_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PAIRWISE_WEB_PROCESSES", "4")
        monkeypatch.setenv("PAIRWISE_MAX_ACTIVE_REQUESTS", "6")
        get_settings.cache_clear()
        assert get_settings().active_requests(2) == 6

    @pytest.mark.parametrize("value", ["0", "1025", "many"])
    def test_active_requests_setting_is_checked(self, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
        monkeypatch.setenv("PAIRWISE_MAX_ACTIVE_REQUESTS", value)
        get_settings.cache_clear()
        with pytest.raises(ValidationError, match="max_active_requests"):
            get_settings()

    @pytest.mark.parametrize("value", ["0", "17", "many"])
    def test_search_index_connections_setting_is_checked(
        self, monkeypatch: pytest.MonkeyPatch, value: str
    ) -> None:
        monkeypatch.setenv("PAIRWISE_SEARCH_INDEX_CONNECTIONS", value)
        get_settings.cache_clear()
        with pytest.raises(ValidationError, match="search_index_connections"):
            get_settings()

    def test_explicit_settings_win(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PAIRWISE_WEB_PROCESSES", "4")
        monkeypatch.setenv("PAIRWISE_DB_POOL_SIZE", "3")
        monkeypatch.setenv("PAIRWISE_DB_MAX_OVERFLOW", "0")
        monkeypatch.setenv("PAIRWISE_DB_POOL_TIMEOUT", "5")
        monkeypatch.setenv("PAIRWISE_DATABASE_URL", "postgresql://u@localhost/pw")
        get_settings.cache_clear()
        use_engine(None)
        try:
            pool = get_engine().pool
            assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 0, 5.0)  # type: ignore[attr-defined]
        finally:
            get_engine().dispose()
            use_engine(None)

    def test_a_shortfall_of_connections_is_named(self, engine: Engine) -> None:
        fits = connection_shortfall(engine, processes=1, pool_size=2, max_overflow=3)
        assert fits is None
        problem = connection_shortfall(engine, processes=40, pool_size=10, max_overflow=20)
        if engine.dialect.name != "postgresql":
            assert problem is None  # SQLite has no connection limit
            return
        assert problem is not None
        assert "40 web processes may open 1200 PostgreSQL connections" in problem
        assert "PAIRWISE_DB_POOL_SIZE" in problem


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="PAIRWISE_TEST_POSTGRES_URL is not set")
class TestIdleConnectionsArePinged:
    """A pooled PostgreSQL connection is pinged only after sitting idle (app/db.py `_ping_when_idle`)."""

    @pytest.fixture
    def server(self) -> Iterator[Engine]:
        engine = build_engine(POSTGRES_URL, pool_size=1, max_overflow=0)
        yield engine
        engine.dispose()

    @staticmethod
    def _backend(engine: Engine) -> int:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    @staticmethod
    def _cut(pid: int) -> None:
        """End the server process of a connection, as a restart or a dropped network would."""
        other = build_engine(POSTGRES_URL)
        with other.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
            for _ in range(100):  # the process ends a moment after the signal
                gone = connection.exec_driver_sql(
                    f"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = {pid}"
                ).scalar_one()
                if gone:
                    break
                time.sleep(0.02)
        other.dispose()

    def _pings(self, server: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
        pings: list[Any] = []
        ping = server.dialect.do_ping

        def counted(dbapi_connection: Any) -> bool:
            pings.append(dbapi_connection)
            return ping(dbapi_connection)

        monkeypatch.setattr(server.dialect, "do_ping", counted)
        return pings

    def test_a_connection_in_steady_use_is_not_pinged(
        self, server: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        pings = self._pings(server, monkeypatch)
        assert len({self._backend(server) for _ in range(3)}) == 1
        assert pings == []

    def test_an_idle_connection_is_pinged(self, server: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
        pings = self._pings(server, monkeypatch)
        first = self._backend(server)  # a new connection: it just answered
        assert pings == []
        monkeypatch.setattr("app.db.PING_AFTER_IDLE_SECONDS", 0.0)
        assert self._backend(server) == first
        assert len(pings) == 1

    def test_an_idle_connection_the_server_dropped_is_replaced(
        self, server: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        first = self._backend(server)
        self._cut(first)
        monkeypatch.setattr("app.db.PING_AFTER_IDLE_SECONDS", 0.0)
        second = self._backend(server)
        assert second != first

    def test_one_dropped_in_steady_use_fails_its_statement_and_the_pool_recovers(
        self, server: Engine
    ) -> None:
        from sqlalchemy.exc import OperationalError

        first = self._backend(server)
        self._cut(first)
        with pytest.raises(OperationalError) as failed:
            self._backend(server)
        assert failed.value.connection_invalidated
        assert self._backend(server) != first
