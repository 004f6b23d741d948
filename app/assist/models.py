"""Model-written suggestions waiting for a reviewer's decision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
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
