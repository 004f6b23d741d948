"""The admin-defined pattern taxonomy, versioned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models_base import json_column, utcnow


class Pattern(SQLModel, table=True):
    __tablename__ = "pattern"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=80)
    description: str = Field(default="", max_length=300)
    hotkey: str = Field(max_length=1)
    position: int = 0
    is_active: bool = True


class TaxonomyVersion(SQLModel, table=True):
    """A frozen snapshot of the taxonomy; judgments record the version they were made with."""

    __tablename__ = "taxonomy_version"

    id: int | None = Field(default=None, primary_key=True)
    snapshot: list[dict[str, Any]] = Field(sa_column=json_column(nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
