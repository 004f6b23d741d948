"""second opinions

Revision ID: f0cb380c87d9
Revises: 92ba092c6c55
Create Date: 2026-12-06 02:22:45.315721

A model's opinion on whether a candidate in the uncertain band is a real pair, one per pair and prompt
version (app/assist/opinions.py). Display only: nothing reads it to score, queue or export.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f0cb380c87d9"
down_revision: str | None = "92ba092c6c55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "second_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("prompt_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_second_opinion_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_opinion")),
        sa.UniqueConstraint(
            "pair_id", "prompt_version", name=op.f("uq_second_opinion_pair_id_prompt_version")
        ),
    )


def downgrade() -> None:
    op.drop_table("second_opinion")
