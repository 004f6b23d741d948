"""A file's size in bytes is a bigint

Revision ID: 92ba092c6c55
Revises: c5d7e9a1b3f2
Create Date: 2026-12-05 20:00:04.476882

`import_file.size_bytes` was an `integer`: on PostgreSQL a file of 2 GiB or more (one JSONL export of many
conversations) could not be recorded, and the chunk that carried its row failed, so the import stopped at
that file whatever it held. PostgreSQL rewrites the table (one row per imported file, so seconds at most);
SQLite's integers are 64-bit already, and its table is rebuilt to carry the declared type.
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "92ba092c6c55"
down_revision: str | None = "c5d7e9a1b3f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _size_type(sa.INTEGER(), sa.BigInteger())


def downgrade() -> None:
    # A size of 2 GiB or more does not fit back: PostgreSQL refuses the downgrade in its own words.
    _size_type(sa.BigInteger(), sa.INTEGER())


def _size_type(existing: sa.types.TypeEngine[int], new: sa.types.TypeEngine[int]) -> None:
    with warnings.catch_warnings():
        # SQLite's rebuild reflects the tables import_file refers to; the user table's expression index
        # cannot be reflected, which SQLAlchemy says, and which changes nothing here.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table("import_file", schema=None) as batch_op:
            batch_op.alter_column("size_bytes", existing_type=existing, type_=new, existing_nullable=False)
