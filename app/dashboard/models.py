"""Dashboard figures over large tables, computed by the worker instead of by each page view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models_base import json_column, utcnow


class CachedAggregate(SQLModel, table=True):
    """One aggregate (a count, counts per status, ...) as of `computed_at` (app/dashboard/queries.py)."""

    __tablename__ = "cached_aggregate"

    name: str = Field(primary_key=True, max_length=64)
    value: Any = Field(sa_column=json_column(nullable=False))
    computed_at: datetime = Field(default_factory=utcnow)
