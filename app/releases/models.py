"""A dataset release: the filters and options it was built with, its files and its lint report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import AutoString, Field, SQLModel

from app.models_base import json_column, utcnow


class ReleaseKind(StrEnum):
    sft = "sft"
    dpo = "dpo"


class ReleaseFormat(StrEnum):
    openai = "openai"
    trl = "trl"
    parquet = "parquet"


class ReleaseStatus(StrEnum):
    building = "building"
    ready = "ready"
    failed = "failed"


class DatasetRelease(SQLModel, table=True):
    """Files live under `<data_dir>/<directory>`; paths in `files` are relative to the data folder too,
    so the data folder can move without breaking downloads."""

    __tablename__ = "dataset_release"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=10)
    format: str = Field(max_length=20)
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    # Export options that change the rows: system prompt policy, original chosen, DPO style, lint model.
    options: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    split: float = 0.0
    seed: int = 0
    status: ReleaseStatus = Field(default=ReleaseStatus.building, sa_type=AutoString(length=20), index=True)
    directory: str | None = Field(default=None, max_length=500)
    files: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    lint: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    manifest_sha256: str | None = Field(default=None, max_length=64)
    taxonomy_version_id: int | None = Field(
        default=None, foreign_key="taxonomy_version.id", ondelete="SET NULL"
    )
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    error: str | None = Field(default=None, max_length=2000)
