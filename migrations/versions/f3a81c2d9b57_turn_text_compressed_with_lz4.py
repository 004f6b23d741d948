"""PostgreSQL: a turn's text and blocks are compressed with LZ4 instead of pglz

Revision ID: f3a81c2d9b57
Revises: ea13fcca05a3
Create Date: 2026-12-05 11:50:00.000000

Most turns are over the 2 KB at which PostgreSQL compresses a value, and pglz, its default, is slow: COPYing
80 MB of real code and prose (4 KB values) took the server 1.2 s with pglz and 0.58 s with LZ4, whose values
come out a fifth larger (47 MB against 39 MB) and read back faster (README.md, "Running at scale", W1 with
real text). Only values written from now on are compressed so; older ones stay pglz and read as before, so
the migration is instant on a big database. A server without LZ4 (built without it, or older than
PostgreSQL 14) keeps pglz: the migration then does nothing. SQLite does not compress.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy.engine import Connection

revision: str = "f3a81c2d9b57"
down_revision: str | None = "ea13fcca05a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("text", "blocks")


def _compression_settable(bind: Connection, method: str) -> bool:
    """Whether this server can compress a column with `method` (PostgreSQL 14 and later, LZ4 if built in)."""
    if bind.dialect.name != "postgresql":
        return False
    methods = bind.exec_driver_sql(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"
    ).scalar()
    return methods is not None and method in methods


def _set_compression(method: str) -> None:
    changes = ", ".join(f'ALTER COLUMN "{name}" SET COMPRESSION {method}' for name in COLUMNS)
    op.execute(f'ALTER TABLE "turn" {changes}')


def upgrade() -> None:
    if _compression_settable(op.get_bind(), "lz4"):
        _set_compression("lz4")


def downgrade() -> None:
    if _compression_settable(op.get_bind(), "pglz"):
        _set_compression("default")
