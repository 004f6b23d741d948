"""what every verdict reads, read from indexes: a reviewer's judgments newest first, labels by status and change time

Revision ID: ea13fcca05a3
Revises: 8c4f1e6b3a90
Create Date: 2026-12-05 03:45:07.995381

- The queue asks for the conversations of a reviewer's last verdicts inside every pick, and the review screen
  reads the reviewer's judgments of the past year for their numbers. Both read `judgment` by reviewer, newest
  first: `(reviewer_id, created_at, id)` serves them in that order without sorting, and its first column
  replaces the single-column `ix_judgment_reviewer_id`.
- After every verdict the scorer's training check counts the reviewed pairs whose status changed since the
  active model. `(status, updated_at)` reads just those, where the status index read every reviewed pair
  (2.9 ms at 5,900 reviewed pairs, and growing with them).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "ea13fcca05a3"
down_revision: str | None = "8c4f1e6b3a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("judgment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_judgment_reviewer_created", ["reviewer_id", "created_at", "id"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_judgment_reviewer_id"))
    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.create_index("ix_pair_status_updated", ["status", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.drop_index("ix_pair_status_updated")
    with op.batch_alter_table("judgment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_judgment_reviewer_id"), ["reviewer_id"], unique=False)
        batch_op.drop_index("ix_judgment_reviewer_created")
