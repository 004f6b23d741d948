"""A training run, its event log and its metric points."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from app.models_base import json_column, utcnow


class Backend(StrEnum):
    openai = "openai"
    trl = "trl"


class Method(StrEnum):
    supervised = "supervised"
    dpo = "dpo"


class RunStatus(StrEnum):
    pending = "pending"  # the row exists; nothing was sent anywhere yet
    uploading = "uploading"  # OpenAI: release files are being uploaded
    validating_files = "validating_files"
    queued = "queued"
    running = "running"
    cancelling = "cancelling"  # a cancel was asked for; the provider or the process has not stopped yet
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


TERMINAL = frozenset({RunStatus.succeeded, RunStatus.failed, RunStatus.cancelled})
ACTIVE = frozenset(set(RunStatus) - TERMINAL)


class TrainingRun(SQLModel, table=True):
    """One fine-tune of one release. The row is committed before anything is sent to a provider (R7)."""

    __tablename__ = "training_run"

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="dataset_release.id", ondelete="RESTRICT", index=True)
    backend: str = Field(max_length=20)
    base_model: str = Field(max_length=300)
    method: str = Field(max_length=20)
    hyperparameters: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    # Backend options that are not hyperparameters: poll interval, LoRA settings, the endpoint used.
    options: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    suffix: str | None = Field(default=None, max_length=64)
    seed: int | None = None
    status: RunStatus = Field(default=RunStatus.pending, sa_type=AutoString(length=20), index=True)
    remote_job_id: str | None = Field(default=None, max_length=200, index=True)
    remote_status: str | None = Field(default=None, max_length=40)
    training_file_id: str | None = Field(default=None, max_length=200)
    validation_file_id: str | None = Field(default=None, max_length=200)
    fine_tuned_model: str | None = Field(default=None, max_length=300)
    # TRL: the saved model, relative to the data folder.
    model_path: str | None = Field(default=None, max_length=500)
    trained_tokens: int | None = None
    step: int | None = None
    total_steps: int | None = None
    cancel_requested: bool = False
    error: str | None = Field(default=None, max_length=4000)
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL")
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def result_model(self) -> str | None:
        """The resulting model: the provider's model id, or the saved folder for TRL."""
        return self.fine_tuned_model or self.model_path


class RunEvent(SQLModel, table=True):
    """A line of the run's log: our own status changes, provider events, checkpoints, trainer logs."""

    __tablename__ = "training_event"
    __table_args__ = (UniqueConstraint("run_id", "remote_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="training_run.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    level: str = Field(default="info", max_length=10)  # info | warn | error
    # message | status | metrics | checkpoint
    kind: str = Field(default="message", max_length=20)
    message: str = Field(max_length=4000)
    # The provider's event or checkpoint id: a poll that sees it again adds nothing.
    remote_id: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] | None = Field(default=None, sa_column=json_column())


class RunMetric(SQLModel, table=True):
    """One value of one metric at one step (loss, learning rate, reward margins, accuracies...)."""

    __tablename__ = "training_metric"
    __table_args__ = (UniqueConstraint("run_id", "name", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="training_run.id", ondelete="CASCADE", index=True)
    step: int
    name: str = Field(max_length=80)
    value: float
    created_at: datetime = Field(default_factory=utcnow)


def run_summary(run: TrainingRun) -> dict[str, Any]:
    """The run as scripts see it (CLI --json, job results)."""
    return {
        "id": run.id,
        "release_id": run.release_id,
        "backend": run.backend,
        "base_model": run.base_model,
        "method": run.method,
        "status": run.status,
        "remote_job_id": run.remote_job_id,
        # The resulting model: the provider's model id, or the saved folder for TRL.
        "fine_tuned_model": run.fine_tuned_model or run.model_path,
        "model_path": run.model_path,
        "error": run.error,
    }
