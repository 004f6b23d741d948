"""full-text search on SQLite (FTS5)

Revision ID: b7c2915ed1c4
Revises: 6db1c01b712a
Create Date: 2026-12-06 18:30:00.000000

External-content FTS5 tables over turn text and conversation titles, filled by the `search_index` job
(app/conversations/search_index.py) rather than by insert triggers, so imports do not pay for the index.
`search_index_state` holds each index's watermark: every row with an id at or below it is indexed,
rows above it are searched with LIKE until the job reaches them. Delete and update triggers keep the
index exact for rows it holds, and a delete lowers the watermark to the table's highest remaining id,
so an id SQLite hands out again after the newest rows were deleted is never taken for indexed.
SQLite only (PostgreSQL has its GIN indexes, b7d3e2a91c44); the tables are not part of the SQLModel
metadata (virtual tables cannot be declared there).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7c2915ed1c4"
down_revision: str | None = "6db1c01b712a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (FTS table, content table, indexed column)
INDEXES = (("turn_fts", "turn", "text"), ("conversation_fts", "conversation", "title"))


def _triggers(fts: str, table: str, column: str) -> list[str]:
    indexed = f"(SELECT indexed_to FROM search_index_state WHERE name = '{fts}')"
    top = f"(SELECT coalesce(max(id), 0) FROM {table})"
    return [
        f"""CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {column}) SELECT 'delete', old.id, old.{column} WHERE old.id <= {indexed};
            UPDATE search_index_state SET indexed_to = {top} WHERE name = '{fts}' AND indexed_to > {top};
        END""",
        f"""CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} WHEN old.id <= {indexed} BEGIN
            INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});
            INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column});
        END""",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE search_index_state (name VARCHAR PRIMARY KEY, indexed_to INTEGER NOT NULL)")
    for fts, table, column in INDEXES:
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({column}, content='{table}', content_rowid='id', "
            "tokenize='unicode61')"
        )
        op.execute(f"INSERT INTO search_index_state (name, indexed_to) VALUES ('{fts}', 0)")
        for statement in _triggers(fts, table, column):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for fts, _table, _column in INDEXES:
        op.execute(f"DROP TRIGGER {fts}_update")
        op.execute(f"DROP TRIGGER {fts}_delete")
        op.execute(f"DROP TABLE {fts}")
    op.execute("DROP TABLE search_index_state")
