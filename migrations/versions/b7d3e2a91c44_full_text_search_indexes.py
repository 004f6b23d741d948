"""full-text search indexes on PostgreSQL

Revision ID: b7d3e2a91c44
Revises: aa390f30238c
Create Date: 2026-12-04 16:05:00.000000

GIN indexes over `to_tsvector('simple', ...)` of turn text and conversation titles, the expressions
app/conversations/views.py searches with. PostgreSQL only: SQLite keeps its substring scan, and the
indexes are not part of the SQLModel metadata (an expression index per dialect is not expressible there).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7d3e2a91c44"
down_revision: str | None = "aa390f30238c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_turn_text_search ON turn USING gin (to_tsvector('simple'::regconfig, text))")
    op.execute(
        "CREATE INDEX ix_conversation_title_search ON conversation "
        "USING gin (to_tsvector('simple'::regconfig, coalesce(title, '')))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_conversation_title_search")
    op.execute("DROP INDEX ix_turn_text_search")
