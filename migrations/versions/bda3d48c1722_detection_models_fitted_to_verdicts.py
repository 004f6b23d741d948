"""Detection models fitted to reviewers' verdicts (one active at most; none means the rule-based scorer).

Revision ID: bda3d48c1722
Revises: 77fe15a03ec0
Create Date: 2026-12-04 15:16:14.073145
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "bda3d48c1722"
down_revision: str | None = "77fe15a03ec0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "detection_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bias", sa.Float(), nullable=False),
        sa.Column(
            "weights",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("held_back", sa.Integer(), nullable=False),
        sa.Column("precision", sa.Float(), nullable=False),
        sa.Column("recall", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_detection_model_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detection_model")),
    )
    with op.batch_alter_table("detection_model", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_detection_model_active"), ["active"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("detection_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detection_model_active"))

    op.drop_table("detection_model")
