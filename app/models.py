"""Import every table model so SQLModel.metadata is complete (Alembic and tests use this)."""

from sqlmodel import SQLModel

from app import models_base  # noqa: F401  (sets the naming convention first)
from app.assist.models import SecondOpinion, Suggestion
from app.auth.models import ApiToken, LoginThrottle, User, WebSession
from app.conversations.models import Conversation, ImportBatch, ImportFile, ImportRecordError, Turn
from app.dashboard.models import CachedAggregate
from app.evaluation.models import (
    Comparison,
    ComparisonJudgment,
    ComparisonLease,
    EvalAnswer,
    EvalCandidate,
    EvalPrompt,
    Evaluation,
    JudgeFailure,
    JudgeJudgment,
    JudgeRubric,
)
from app.jobs.models import Job
from app.pairs.models import DetectionModel, Pair, PairEdit
from app.patterns.models import Pattern, TaxonomyVersion
from app.releases.models import DatasetRelease
from app.review.models import Adjudication, Assignment, ControlAnswer, ControlPair, Judgment
from app.settings.models import AppSetting, AuditEvent
from app.training.models import RunEvent, RunMetric, TrainingRun

metadata = SQLModel.metadata

__all__ = [
    "Adjudication",
    "ApiToken",
    "AppSetting",
    "Assignment",
    "AuditEvent",
    "CachedAggregate",
    "Comparison",
    "ComparisonJudgment",
    "ComparisonLease",
    "ControlAnswer",
    "ControlPair",
    "Conversation",
    "DatasetRelease",
    "DetectionModel",
    "EvalAnswer",
    "EvalCandidate",
    "EvalPrompt",
    "Evaluation",
    "ImportBatch",
    "ImportFile",
    "ImportRecordError",
    "Job",
    "JudgeFailure",
    "JudgeJudgment",
    "JudgeRubric",
    "Judgment",
    "LoginThrottle",
    "Pair",
    "PairEdit",
    "Pattern",
    "RunEvent",
    "RunMetric",
    "SecondOpinion",
    "Suggestion",
    "TaxonomyVersion",
    "TrainingRun",
    "Turn",
    "User",
    "WebSession",
    "metadata",
]
