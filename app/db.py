"""Engine, sessions and SQLite pragmas: the one place that commits."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlmodel import Session, create_engine

from app import models as _models  # noqa: F401  (every table registered before the first session)
from app.config import get_settings

if TYPE_CHECKING:
    from fastapi import Depends, Request

log = logging.getLogger(__name__)

# SQLite copies the WAL into the database at a commit once it holds this many pages (64 MB).
WAL_AUTOCHECKPOINT_PAGES = 16384


def _normalize_url(url: str) -> str:
    """Use psycopg 3 for every PostgreSQL URL, whatever driver the user wrote."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _json_loads(value: Any) -> Any:
    # SQLite hands back a bare JSON number as int/float already; SQLAlchemy expects a TypeError there.
    if isinstance(value, int | float):
        return value
    return orjson.loads(value)


def build_engine(
    url: str,
    *,
    busy_timeout_ms: int = 15000,
    lock_wait_seconds: float = 300.0,
    pool_size: int = 10,
    max_overflow: int = 20,
    pool_timeout: float = 30.0,
) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL, a busy timeout and BEGIN IMMEDIATE writes.

    `pool_size`, `max_overflow` and `pool_timeout` size the PostgreSQL connection pool (Settings.pool_limits).
    """
    url = _normalize_url(url)
    if not url.startswith("sqlite"):
        server = create_engine(
            url,
            json_serializer=_json_dumps,
            json_deserializer=_json_loads,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
        )
        _ping_when_idle(server)
        return server
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Created 600 before SQLite opens it (its -wal and -shm files take the database file's mode).
        path.touch(mode=0o600, exist_ok=True)
        with contextlib.suppress(PermissionError):  # a file owned by another account: leave its mode alone
            path.chmod(0o600)
    engine = create_engine(
        url,
        json_serializer=_json_dumps,
        json_deserializer=_json_loads,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        pool_size=20,
        max_overflow=20,
    )
    _install_sqlite_pragmas(engine, busy_timeout_ms, lock_wait_seconds)
    return engine


# A pooled connection idle this long is pinged before it is handed out (`_ping_when_idle`).
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "pairwise.idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection that sat idle for PING_AFTER_IDLE_SECONDS before handing it out, and replace
    it when the server no longer answers (restarted, or the connection was cut while idle).

    SQLAlchemy's `pool_pre_ping` pings at every checkout: a round trip more for each unit of work, two a web
    request (its sign-in check and its route), while a connection in steady use was answered a moment ago. A
    server that goes away while connections are in use fails the statements in flight either way; the first
    such failure also discards the pool's other connections (SQLAlchemy invalidates the pool on a
    disconnect), so the next units of work connect afresh.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)  # a new connection has none: it just answered
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and checks out another (SQLAlchemy tries three times).
            raise DisconnectionError(f"an idle database connection no longer answers: {exc}") from exc


def _begin_immediate(connection: Any, lock_wait_seconds: float) -> None:
    """BEGIN IMMEDIATE, retried while another process holds the write lock (up to lock_wait_seconds).

    busy_timeout alone loses the race against a process that writes back to back (a CLI import next to a
    busy web app): SQLite's busy handler sleeps and polls, and each poll can land inside the other's next
    transaction. Nothing has run yet when BEGIN fails, so trying again is always safe.
    """
    deadline = time.monotonic() + lock_wait_seconds
    pause = 0.01
    while True:
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as exc:
            text = str(exc.orig).lower()
            if not ("locked" in text or "busy" in text) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int, lock_wait_seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Python's sqlite3 would otherwise open transactions lazily (deferred); we issue BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Set before the first table exists (a no-op afterwards): transcripts are long texts, and 16 KB pages
        # hold a turn in one page where 4 KB ones chain overflow pages (fewer writes per import).
        cursor.execute("PRAGMA page_size=16384")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A bigger page cache and fewer, larger checkpoints: imports write ~100 MB per 10,000 sessions,
        # and the default (2 MB cache, checkpoint every 4 MB) made every chunk's commit re-read and copy pages.
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    # SQLite's busy handler polls with growing sleeps, which turns a queue of writers into seconds of
    # latency. Writers of this process queue on a semaphore instead and hand over the lock at once;
    # other processes (a CLI import) are still covered by busy_timeout.
    writer_gate = threading.Semaphore(1)
    gate_timeout = busy_timeout_ms / 1000

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front so concurrent writers wait instead of failing with
        # "database is locked" when a read transaction upgrades. Read-only units of work ask for a
        # deferred BEGIN so readers never queue behind writers (WAL).
        options = connection.get_execution_options()
        if options.get("sqlite_read_only", False):
            connection.exec_driver_sql("BEGIN")
            return
        _set_autocheckpoint(connection, on=options.get("sqlite_autocheckpoint", True))
        connection.info["pw_gate"] = writer_gate.acquire(timeout=gate_timeout)
        try:
            _begin_immediate(connection, lock_wait_seconds)
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if connection.info.pop("pw_gate", False):
            writer_gate.release()

    def _set_autocheckpoint(connection: Any, *, on: bool) -> None:
        # A long import copies its pages into the database from a thread of its own (BackgroundCheckpoints);
        # its commits skip the copy. The next transaction on the same connection turns it back on.
        if connection.info.get("pw_no_autocheckpoint", False) != (not on):
            pages = WAL_AUTOCHECKPOINT_PAGES if on else 0
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={pages}")
            connection.info["pw_no_autocheckpoint"] = not on

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


class BackgroundCheckpoints:
    """SQLite: a long write (an import) copies its WAL into the database from a thread of its own.

    At a commit SQLite copies the write-ahead log into the database file once the log holds
    WAL_AUTOCHECKPOINT_PAGES, and syncs it: for an import of 100 MB that is a fifth of the time, spent
    in the writing thread. Transactions begun through `engine` skip that copy; after each commit
    `committed()` starts a PASSIVE checkpoint on another connection, which copies what readers no
    longer need while the next chunk is collected and written (it takes no write lock, and the sqlite3
    module leaves the interpreter lock while SQLite works). A no-op on other databases.
    """

    def __init__(self, engine: Engine) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        self.engine = engine.execution_options(sqlite_autocheckpoint=False) if self.sqlite else engine
        self._base = engine
        self._thread: ThreadPoolExecutor | None = None
        self._running: Future[None] | None = None

    def committed(self) -> None:
        """A transaction through `engine` committed: copy its pages, unless a copy is still running."""
        if not self.sqlite or (self._running is not None and not self._running.done()):
            return
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wal-checkpoint")
        self._running = self._thread.submit(self._checkpoint)

    def close(self) -> None:
        """Wait for the copy in flight; later commits of other work checkpoint as usual."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    def _checkpoint(self) -> None:
        connection = self._base.raw_connection()
        try:
            connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:
            log.warning(
                "background WAL checkpoint failed; SQLite checkpoints at a later commit", exc_info=True
            )
        finally:
            connection.close()


_engine: Engine | None = None


def get_engine() -> Engine:
    """The process-wide engine, built from the settings on first use."""
    global _engine
    if _engine is None:
        settings = get_settings()
        pool_size, max_overflow = settings.pool_limits()
        _engine = build_engine(
            settings.database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            lock_wait_seconds=settings.sqlite_lock_wait_seconds,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )
    return _engine


def close_engine() -> None:
    """Close the process-wide engine's connections (a command that ends); the next use builds it again.

    SQLite: closing the last connection copies the write-ahead log into the database file and removes it,
    so the file alone holds everything (a copy of it is a whole backup).
    """
    global _engine
    if _engine is not None:
        _engine.dispose()
        _engine = None


def connection_shortfall(engine: Engine, *, processes: int, pool_size: int, max_overflow: int) -> str | None:
    """Why `processes` web processes could run PostgreSQL out of connections, or None when they fit.

    Each process may open pool_size + max_overflow connections; PostgreSQL refuses new ones past
    max_connections (less those reserved for superusers), which the web app would answer with 500s.
    """
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        allowed = int(connection.exec_driver_sql("SHOW max_connections").scalar_one())
        reserved = int(connection.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
    wanted = processes * (pool_size + max_overflow)
    if wanted <= allowed - reserved:
        return None
    return (
        f"{processes} web processes may open {wanted} PostgreSQL connections ({pool_size} + {max_overflow} "
        f"overflow each) but the server allows {allowed - reserved}: raise max_connections, put PgBouncer in "
        "front, or lower PAIRWISE_DB_POOL_SIZE / PAIRWISE_DB_MAX_OVERFLOW"
    )


def use_engine(engine: Engine | None) -> None:
    """Point the process at another engine (tests, benchmarks); None rebuilds from the settings."""
    global _engine
    _engine = engine


@contextmanager
def session_scope(
    engine: Engine | None = None, *, read_only: bool = False, one_statement: bool = False
) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error (CLI, jobs, and the request dependency).

    `one_statement` (with read_only) is for a unit that reads with a single statement, which is consistent on
    its own: PostgreSQL then runs it without BEGIN and COMMIT, two round trips fewer (every request's
    sign-in check)."""
    bind = engine or get_engine()
    if read_only:
        bind = _read_only_bind(bind, one_statement=one_statement)
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _read_only_bind(engine: Engine, *, one_statement: bool) -> Engine:
    """The engine with the read-only options, made once per engine (every request asks)."""
    key = "pw_read_only_autocommit" if one_statement else "pw_read_only"
    bound = engine.__dict__.get(key)
    if bound is None:
        options: dict[str, Any] = {"sqlite_read_only": True}
        if one_statement and engine.dialect.name == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        bound = engine.__dict__[key] = engine.execution_options(**options)
    return bound


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work, committed before the response is sent; GET and HEAD only read."""
    with session_scope(read_only=request.method in ("GET", "HEAD")) as session:
        yield session


if TYPE_CHECKING:
    SessionDep = Annotated[Session, Depends(get_session, scope="function")]
else:

    def __getattr__(name: str) -> Any:
        """`SessionDep` is made when the web app's routers first ask for it: commands that never serve a
        request do not import the web framework (a fifth of their start-up)."""
        if name != "SessionDep":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from fastapi import Depends, Request

        globals()["Request"] = Request  # FastAPI reads get_session's annotation in this module
        dependency = globals()["SessionDep"] = Annotated[Session, Depends(get_session, scope="function")]
        return dependency
