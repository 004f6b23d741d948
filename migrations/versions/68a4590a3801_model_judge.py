"""model judge

Revision ID: 68a4590a3801
Revises: f0cb380c87d9
Create Date: 2026-12-06 02:24:46.353303

The evaluation's optional model judge (app/evaluation/judge.py): its rubric versions, its verdicts (kept
apart from the human ones in eval_judgment, which alone feed adherence, head-to-head and the decision) and
its failed calls.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "68a4590a3801"
down_revision: str | None = "f0cb380c87d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eval_judge_rubric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_eval_judge_rubric_created_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_eval_judge_rubric_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_judge_rubric")),
        sa.UniqueConstraint(
            "evaluation_id", "version", name=op.f("uq_eval_judge_rubric_evaluation_id_version")
        ),
    )
    with op.batch_alter_table("eval_judge_rubric", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eval_judge_rubric_evaluation_id"), ["evaluation_id"], unique=False
        )

    op.create_table(
        "eval_judge_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("comparison_id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comparison_id"],
            ["eval_comparison.id"],
            name=op.f("fk_eval_judge_failure_comparison_id_eval_comparison"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_eval_judge_failure_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_eval_judge_failure_job_id_job"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"],
            ["eval_judge_rubric.id"],
            name=op.f("fk_eval_judge_failure_rubric_id_eval_judge_rubric"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_judge_failure")),
    )
    with op.batch_alter_table("eval_judge_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eval_judge_failure_evaluation_id"), ["evaluation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_eval_judge_failure_rubric_id"), ["rubric_id"], unique=False)

    op.create_table(
        "eval_judge_judgment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("comparison_id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("rubric_version", sa.Integer(), nullable=False),
        sa.Column("rubric_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("left_candidate_id", sa.Integer(), nullable=False),
        sa.Column("winner_candidate_id", sa.Integer(), nullable=True),
        sa.Column(
            "patterns_a",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "patterns_b",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("dropped_patterns", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comparison_id"],
            ["eval_comparison.id"],
            name=op.f("fk_eval_judge_judgment_comparison_id_eval_comparison"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_eval_judge_judgment_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_eval_judge_judgment_job_id_job"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["left_candidate_id"],
            ["eval_candidate.id"],
            name=op.f("fk_eval_judge_judgment_left_candidate_id_eval_candidate"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_id"],
            ["eval_judge_rubric.id"],
            name=op.f("fk_eval_judge_judgment_rubric_id_eval_judge_rubric"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["winner_candidate_id"],
            ["eval_candidate.id"],
            name=op.f("fk_eval_judge_judgment_winner_candidate_id_eval_candidate"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_judge_judgment")),
        sa.UniqueConstraint(
            "comparison_id", "rubric_id", name=op.f("uq_eval_judge_judgment_comparison_id_rubric_id")
        ),
    )
    with op.batch_alter_table("eval_judge_judgment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eval_judge_judgment_evaluation_id"), ["evaluation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_eval_judge_judgment_rubric_id"), ["rubric_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("eval_judge_judgment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_judge_judgment_rubric_id"))
        batch_op.drop_index(batch_op.f("ix_eval_judge_judgment_evaluation_id"))

    op.drop_table("eval_judge_judgment")
    with op.batch_alter_table("eval_judge_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_judge_failure_rubric_id"))
        batch_op.drop_index(batch_op.f("ix_eval_judge_failure_evaluation_id"))

    op.drop_table("eval_judge_failure")
    with op.batch_alter_table("eval_judge_rubric", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_judge_rubric_evaluation_id"))

    op.drop_table("eval_judge_rubric")
