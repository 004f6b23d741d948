"""import skipped and dropped counts, pair content keys and links

Revision ID: 97267dbff0b0
Revises: bda3d48c1722
Create Date: 2026-12-04 15:15:27.673531
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "97267dbff0b0"
down_revision: str | None = "bda3d48c1722"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pairs_linked", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column(
                "skipped",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "dropped_parts",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )

    with op.batch_alter_table("import_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "skipped",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "dropped_parts",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )

    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("content_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("linked_to_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_pair_content_key"), ["content_key"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_pair_linked_to_id_pair"), "pair", ["linked_to_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("pair", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pair_linked_to_id_pair"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_pair_content_key"))
        batch_op.drop_column("linked_to_id")
        batch_op.drop_column("content_key")

    with op.batch_alter_table("import_file", schema=None) as batch_op:
        batch_op.drop_column("dropped_parts")
        batch_op.drop_column("skipped")

    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_column("dropped_parts")
        batch_op.drop_column("skipped")
        batch_op.drop_column("pairs_linked")
