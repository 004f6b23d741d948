"""Shared model helpers: the metadata naming convention, UTC timestamps, JSON columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import JSON, Column, Table, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

# Stable constraint names so Alembic can alter and drop them on SQLite (batch mode) and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Timezone-aware UTC now; SQLModel's UTCDateTime stores it as UTC on SQLite and PostgreSQL alike."""
    return datetime.now(UTC)


def json_column(*, nullable: bool = True) -> Any:
    return Column(JSONType, nullable=nullable)


def table_of(model: type[SQLModel]) -> Table:
    """The Core `Table` of a table model: the object SQLAlchemy stores as `model.__table__`.

    SQLModel does not declare `__table__` for type checkers; the mapper's `local_table` is the same
    `Table`, typed (as a `FromClause`, hence the cast).
    """
    return cast(Table, inspect(model).local_table)
