"""Background jobs: kind, status, progress and outcome, kept in our database so every page can show them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import AutoString, Field, SQLModel

from app.models_base import json_column, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    cancelling = "cancelling"  # a cancel was asked for; the handler stops at its next progress call
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE = frozenset({JobStatus.queued, JobStatus.running, JobStatus.cancelling})
ENDED = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})


class Job(SQLModel, table=True):
    __tablename__ = "job"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    status: JobStatus = Field(default=JobStatus.queued, sa_type=AutoString(length=20), index=True)
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
