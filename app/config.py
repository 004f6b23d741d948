"""One Settings class for the web app, the worker and the CLI (environment prefix PAIRWISE_)."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import secrets
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.errors import PairwiseError

INSECURE_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "pairwise"})


# A production secret needs this many distinct characters and this much estimated entropy (bits).
# Both are set from the shortest random key we accept, 32 hex digits (`secrets.token_hex(16)`, 128 bits):
# the estimate below runs low on 32 draws, and 96 bits / 10 distinct refused about 1 such key in 6,000.
# At 84 bits / 8 distinct about 6 in 100 million are refused (computed exactly in tests/test_config.py),
# while 'a' * 32, 'changeme' * 4 or 34 a's and 16 b's plus 'cdefg' still are.
MIN_DISTINCT_CHARACTERS = 8
MIN_ENTROPY_BITS = 84.0


def secret_entropy_bits(secret: str) -> float:
    """A conservative entropy estimate: length times the Shannon entropy of the character frequencies."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)


def is_repeated(secret: str) -> bool:
    """True when the secret is a shorter string repeated ('changeme' * 4, 'ab' * 16)."""
    return len(secret) > 1 and secret in (secret + secret)[1:-1]


def secure_data_dir(data_dir: Path) -> None:
    """Create the data folder 700 (and tighten an existing one), so databases, uploads and releases in it
    are not readable by other users of the machine; files created later by this process get 600/700."""
    os.umask(0o077)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # a folder owned by another account: leave its mode alone
        data_dir.chmod(0o700)


# Connections all web processes together may open by default (PostgreSQL allows 100 unless configured:
# the rest is for job workers, migrations and psql), and the bounds of one process's share.
WEB_CONNECTION_BUDGET = 60
MAX_PROCESS_CONNECTIONS = 30
MIN_PROCESS_CONNECTIONS = 5


class InsecureSettingsError(PairwiseError):
    """The settings are unsafe for production mode (empty or default secret key)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAIRWISE_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = ""
    # demo: sample data and demo accounts, a generated secret; production: refuses unsafe settings.
    mode: Literal["production", "demo", "test"] = "production"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Detection threshold is stored in the database once an admin changes it; this is the initial value.
    detection_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    import_chunk_size: int = Field(default=500, ge=1)
    max_upload_mb: int = Field(default=512, ge=1)
    # Every other request body (forms, API JSON); sign-in takes at most 16 KB whatever this says.
    max_body_kb: int = Field(default=2048, ge=1)
    max_zip_ratio: int = Field(default=200, ge=1)
    max_zip_total_mb: int = Field(default=4096, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=15000, ge=0)
    # A writer that finds SQLite locked by another process (CLI import, worker) keeps retrying this long.
    sqlite_lock_wait_seconds: float = Field(default=300.0, ge=0)
    lease_minutes: int = Field(default=10, ge=1)
    overlap: int = Field(default=1, ge=1)
    # A verdict sooner than this after its pair was shown is refused (a double key press, not a judgment).
    review_min_ms: int = Field(default=400, ge=0)
    # Share of served pairs that are control pairs, in percent (0 = off); admins change it on /review/admin/controls.
    review_control_percent: int = Field(default=0, ge=0, le=20)
    login_max_attempts: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)
    session_days: int = Field(default=14, ge=1)
    https: bool = False
    # Admin-configured endpoints (fine-tuning API, suggestion provider) may be on loopback or a private
    # network only when this is true (local providers); link-local addresses are never allowed.
    allow_private_endpoints: bool = False
    # Redis storage for the job queue (workers on other machines); empty = a SQLite file in the data dir.
    redis_url: str = ""
    # Run a job worker inside `pairwise serve`; set false when dedicated `pairwise worker`s run.
    worker_embedded: bool = True
    # PostgreSQL connections per process: db_pool_size kept open, up to db_max_overflow more under load,
    # a request waits db_pool_timeout seconds for one. Unset, they are derived from web_processes (which
    # `pairwise serve --workers N` sets for its processes) so that all web processes together open at
    # most WEB_CONNECTION_BUDGET connections, well inside PostgreSQL's default max_connections of 100.
    db_pool_size: int | None = Field(default=None, ge=1)
    db_max_overflow: int | None = Field(default=None, ge=0)
    db_pool_timeout: float = Field(default=30.0, gt=0)
    web_processes: int = Field(default=1, ge=1)
    # PostgreSQL: connections the search index job indexes side by side with, each in its own server process
    # (app/conversations/search_index.index_round); the job's cost is the server's CPU.
    search_index_connections: int = Field(default=2, ge=1, le=16)
    # Requests a web process works on at once (app/admission.py); the rest wait in front. Unset: about two
    # per core over all web processes (see active_requests).
    max_active_requests: int | None = Field(default=None, ge=1, le=1024)

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'pairwise.db').as_posix()}"
        return self

    def active_requests(self, cores: int | None = None) -> int:
        """How many requests this web process works on at once.

        Requests are short and spend their time in Python or waiting for the database, so working on more
        than about two per core at once only makes them queue for the interpreter lock and the CPU inside
        the process instead of in front of it: at 4 processes and 200 reviewers on 2 cores, 40 at once each
        (the framework's thread pool) served 68 verdicts/s at p99 3.5 s, one each 97/s at p99 0.12 s. One
        process keeps at least 4, so a slow page never holds up the rest.
        """
        if self.max_active_requests is not None:
            return self.max_active_requests
        cores = cores or available_cpus()
        floor = 4 if self.web_processes == 1 else 1
        return max(floor, -(-2 * cores // self.web_processes))

    def pool_limits(self) -> tuple[int, int]:
        """(pool size, max overflow) of this process's PostgreSQL connection pool."""
        per_process = max(
            MIN_PROCESS_CONNECTIONS, min(MAX_PROCESS_CONNECTIONS, WEB_CONNECTION_BUDGET // self.web_processes)
        )
        size = self.db_pool_size if self.db_pool_size is not None else max(2, per_process // 3)
        overflow = self.db_max_overflow if self.db_max_overflow is not None else max(0, per_process - size)
        return size, overflow

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The secret key; demo and test mode generate one once and keep it in the data folder."""
        if self.secret_key or self.mode == "production":
            self.require_safe()
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def require_safe(self) -> None:
        """Refuse to serve in production mode with an empty, default or short secret key."""
        if self.mode != "production":
            return
        key = self.secret_key
        if key.strip().lower() in INSECURE_SECRETS or len(key) < 32:
            raise InsecureSettingsError(
                "PAIRWISE_SECRET_KEY is empty, a default, or shorter than 32 characters. "
                'Set it to a long random value, e.g. `python -c "import secrets; print(secrets.token_urlsafe(48))"`, '
                "or run with PAIRWISE_MODE=demo for a local demo."
            )
        distinct = len(set(key))
        if (
            distinct < MIN_DISTINCT_CHARACTERS
            or is_repeated(key)
            or secret_entropy_bits(key) < MIN_ENTROPY_BITS
        ):
            raise InsecureSettingsError(
                f"PAIRWISE_SECRET_KEY is too predictable ({distinct} distinct characters, or a repeated pattern): "
                "set it to a long random value, e.g. "
                '`python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
            )


def available_cpus() -> int:
    """The cores this process may run on (its CPU affinity, where the platform says)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@lru_cache
def get_settings() -> Settings:
    return Settings()


def configure_logging() -> None:
    """Log to stderr at PAIRWISE_LOG_LEVEL, once per process: the CLI, and each web process that
    `serve --workers N` starts (a fresh interpreter that would otherwise drop everything below a warning)."""
    root = logging.getLogger()
    if root.handlers:
        return
    logging.basicConfig(
        level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Migration chatter on every command hides the output people came for.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(logging.WARNING)
