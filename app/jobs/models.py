"""Background job status, kept in our database so every page can show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from app.models_base import json_column, utcnow


class Job(SQLModel, table=True):
    __tablename__ = "job"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    # queued | running | succeeded | failed | cancelled
    status: str = Field(default="queued", max_length=20, index=True)
    progress: int = 0
    total: int | None = None
    message: str | None = Field(default=None, max_length=2000)
    error: str | None = Field(default=None, max_length=4000)
    payload: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    result: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
