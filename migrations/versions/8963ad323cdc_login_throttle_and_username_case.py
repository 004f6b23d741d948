"""login throttle rows and case-insensitive usernames

One row per user name or client address replaces one row per failed sign-in, so the count can be bumped
atomically before a password is checked. Usernames become unique ignoring case; the upgrade stops with a
message naming the clashing names if a database already holds two that differ only in case.

Revision ID: 8963ad323cdc
Revises: 2829db25c36b
Create Date: 2026-12-04 15:07:23.332043
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "8963ad323cdc"
down_revision: str | None = "2829db25c36b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_created_at"))
        batch_op.drop_index(batch_op.f("ix_login_attempt_ip"))
        batch_op.drop_index(batch_op.f("ix_login_attempt_username"))
    op.drop_table("login_attempt")

    clashes = (
        op.get_bind()
        .execute(sa.text('SELECT lower(username) FROM "user" GROUP BY lower(username) HAVING count(*) > 1'))
        .scalars()
        .all()
    )
    if clashes:
        raise RuntimeError(
            "user names must be unique ignoring case; rename or remove one of each before upgrading: "
            + ", ".join(sorted(clashes))
        )
    op.create_index("uq_user_username_lower", "user", [sa.text("lower(username)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_user_username_lower", table_name="user")
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempt_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempt_ip"), ["ip"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_attempt_username"), ["username"], unique=False)
    op.drop_table("login_throttle")
