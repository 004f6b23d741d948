"""Candidate preference pairs found in conversations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import AutoString, Field, SQLModel, col

from app.models_base import json_column, utcnow


class PairStatus(StrEnum):
    candidate = "candidate"
    accepted = "accepted"
    tie = "tie"
    not_a_pair = "not_a_pair"
    conflict = "conflict"
    # The same prompt, rejected and chosen text as an earlier pair (another export of one conversation):
    # linked to it, never queued or exported a second time.
    linked = "linked"


class Pair(SQLModel, table=True):
    """rejected = the first answer, pushback = the user's objection, chosen = the revised answer.

    When reviewers prefer the first answer the pair is stored swapped (`swapped`), so `chosen_turn_id`
    always names the preferred answer once a pair is accepted.
    """

    __tablename__ = "pair"
    __table_args__ = (
        UniqueConstraint("conversation_id", "first_turn_id", "second_turn_id"),
        Index("ix_pair_status_score", "status", "score", "id"),
        # Lists and exports walk one status in id order (keyset pagination).
        Index("ix_pair_status_id", "status", "id"),
        # Reviewed pairs whose status changed since the active scorer was made (every verdict asks).
        Index("ix_pair_status_updated", "status", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE", index=True)
    # The detected orientation, never changed: first = the answer before the pushback.
    first_turn_id: int = Field(foreign_key="turn.id", ondelete="CASCADE")
    second_turn_id: int = Field(foreign_key="turn.id", ondelete="CASCADE")
    pushback_turn_id: int | None = Field(default=None, foreign_key="turn.id", ondelete="CASCADE")
    # Index of the last prompt turn (the user message the first answer replied to).
    prompt_end_index: int
    detector: str = Field(max_length=40)
    score: float
    signals: str = Field(default="", max_length=500)
    status: PairStatus = Field(default=PairStatus.candidate, sa_type=AutoString(length=20))
    swapped: bool = False
    # Context leaks of the revised (second) answer: comma-separated kinds ("" = clean), the marked spans,
    # and the leak detector that found them (None = not checked yet).
    leak_kinds: str = Field(default="", max_length=60)
    leak_spans: list[dict[str, Any]] | None = Field(default=None, sa_column=json_column())
    leak_detector: str | None = Field(default=None, max_length=20)
    version: int = 1
    # SHA-256 of the normalized prompt, rejected and chosen texts: finds the same pair in another export.
    content_key: str | None = Field(default=None, max_length=64, index=True)
    linked_to_id: int | None = Field(default=None, foreign_key="pair.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def chosen_turn_id(self) -> int:
        return self.first_turn_id if self.swapped else self.second_turn_id

    @property
    def rejected_turn_id(self) -> int:
        return self.second_turn_id if self.swapped else self.first_turn_id


# The review queue's open pairs, best first. app/review/queue.py states the same condition (why it reads so).
OPEN_QUEUE = "(status IN ('candidate', 'conflict')) = "
Index(
    "ix_pair_open_queue",
    col(Pair.score).desc(),
    col(Pair.id),
    postgresql_where=text(OPEN_QUEUE + "true"),
    sqlite_where=text(OPEN_QUEUE + "1"),
)


class EditField(StrEnum):
    prompt = "prompt"
    chosen = "chosen"


class PairEdit(SQLModel, table=True):
    """One edit of a pair's exported text (gold prompt, or a chosen answer from the transform or a suggestion).

    Rows are never updated: the latest row per (pair, field) is current, earlier rows are its lineage.
    """

    __tablename__ = "pair_edit"

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", ondelete="CASCADE", index=True)
    field: str = Field(max_length=10)
    text: str
    previous_text: str
    # reviewer | transform | suggestion
    source: str = Field(max_length=20)
    suggestion_id: int | None = Field(default=None, foreign_key="suggestion.id", ondelete="SET NULL")
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class DetectionModel(SQLModel, table=True):
    """A scorer fitted to this installation's verdicts; at most one is active (none: the rule-based one)."""

    __tablename__ = "detection_model"

    id: int | None = Field(default=None, primary_key=True)
    bias: float
    # Signal name -> weight (see app.pairs.learning); signals without a weight count 0.
    weights: dict[str, float] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    trained_on: int  # verdicts it was fitted to
    held_back: int  # verdicts kept out, measured on
    precision: float
    recall: float
    active: bool = Field(default=False, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def version(self) -> str:
        return f"lr-{self.id}"
