"""cached dashboard aggregates and a source index

Revision ID: 435123756e99
Revises: b7c2915ed1c4
Create Date: 2026-12-06 19:30:00.000000

Counts over large tables (conversations, pairs per status, pattern tags) computed by the worker every
minute and read by the dashboard, so no page view counts a million rows (app/dashboard/queries.py).
An index on conversation (source, id) serves the source filters of the conversation and pair lists
newest first, whatever the source's age (without it an old source is found after every newer row).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "435123756e99"
down_revision: str | None = "b7c2915ed1c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cached_aggregate",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("computed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cached_aggregate")),
    )
    op.create_index("ix_conversation_source_id", "conversation", ["source", "id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_source_id", table_name="conversation")
    op.drop_table("cached_aggregate")
