"""Import every table model so SQLModel.metadata is complete (Alembic and tests use this)."""

from sqlmodel import SQLModel

from app import models_base  # noqa: F401  (sets the naming convention first)
from app.assist.models import Suggestion
from app.auth.models import ApiToken, LoginAttempt, User, WebSession
from app.conversations.models import Conversation, ImportBatch, ImportFile, ImportRecordError, Turn
from app.jobs.models import Job
from app.pairs.models import DetectionModel, Pair, PairEdit
from app.patterns.models import Pattern, TaxonomyVersion
from app.releases.models import DatasetRelease
from app.review.models import Assignment, Judgment
from app.settings.models import AppSetting, AuditEvent
from app.training.models import RunEvent, RunMetric, TrainingRun

metadata = SQLModel.metadata

__all__ = [
    "ApiToken",
    "AppSetting",
    "Assignment",
    "AuditEvent",
    "Conversation",
    "DatasetRelease",
    "DetectionModel",
    "ImportBatch",
    "ImportFile",
    "ImportRecordError",
    "Job",
    "Judgment",
    "LoginAttempt",
    "Pair",
    "PairEdit",
    "Pattern",
    "RunEvent",
    "RunMetric",
    "Suggestion",
    "TaxonomyVersion",
    "TrainingRun",
    "Turn",
    "User",
    "WebSession",
    "metadata",
]
