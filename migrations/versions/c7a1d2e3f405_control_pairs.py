"""control pairs

Revision ID: c7a1d2e3f405
Revises: 68a4590a3801
Create Date: 2026-12-06 03:00:00.000000

Control pairs (app/review/controls.py): judged pairs an admin marks with their expected verdict, served to
reviewers at the control rate; reviewers' verdicts on them are control answers, kept apart from judgments.
A lease says whether it serves a control.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c7a1d2e3f405"
down_revision: str | None = "68a4590a3801"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "control_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_id"], ["user.id"], name=op.f("fk_control_pair_admin_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_control_pair_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_pair")),
        sa.UniqueConstraint("pair_id", name=op.f("uq_control_pair_pair_id")),
    )
    op.create_table(
        "control_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("left_side", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("seconds_spent", sa.Float(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pair.id"], name=op.f("fk_control_answer_pair_id_pair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["user.id"], name=op.f("fk_control_answer_reviewer_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_answer")),
        sa.UniqueConstraint("pair_id", "reviewer_id", name=op.f("uq_control_answer_pair_id_reviewer_id")),
    )
    op.create_index(
        "ix_control_answer_reviewer_created", "control_answer", ["reviewer_id", "created_at"], unique=False
    )
    # A plain ADD COLUMN on both backends: batch mode would reflect `assignment` and the tables it refers to
    # (SQLite warns about the expression index on `user`) for an operation SQLite does natively.
    op.add_column("assignment", sa.Column("control", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("assignment", "control")  # SQLite has DROP COLUMN since 3.35
    op.drop_index("ix_control_answer_reviewer_created", table_name="control_answer")
    op.drop_table("control_answer")
    op.drop_table("control_pair")
