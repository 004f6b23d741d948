"""Model-written suggestions waiting for a reviewer's decision, and model-written second opinions on candidates."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models_base import utcnow


class SuggestionStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    ignored = "ignored"


class Suggestion(SQLModel, table=True):
    """A proposed standalone rewrite of a pair's chosen answer (field "chosen") or a folded prompt ("prompt")."""

    __tablename__ = "suggestion"
    __table_args__ = (Index("ix_suggestion_pair_status", "pair_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", ondelete="CASCADE")
    field: str = Field(max_length=10)
    text: str
    # The text the suggestion rewrites, so a reviewer sees a diff even after other edits.
    base_text: str
    model: str = Field(max_length=200)
    status: str = Field(default=SuggestionStatus.pending, max_length=10)
    decided_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class OpinionVerdict(StrEnum):
    pair = "pair"
    not_pair = "not_pair"


class SecondOpinion(SQLModel, table=True):
    """A model's opinion on whether a candidate is a real preference pair, asked once per prompt version.

    Shown next to the detector's signals; it never changes a score, a status, the queue or an export.
    """

    __tablename__ = "second_opinion"
    __table_args__ = (UniqueConstraint("pair_id", "prompt_version"),)

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", ondelete="CASCADE")
    # Which instruction it answered (app.assist.opinions.PROMPT_VERSION): a new one asks every pair again.
    prompt_version: str = Field(max_length=20)
    verdict: str = Field(max_length=10)
    confidence: float | None = None  # 0..1, when the model gave one
    reason: str = Field(default="", max_length=300)
    model: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
