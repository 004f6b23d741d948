"""Judgments of pairs by reviewers, and leases on the queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models_base import json_column, utcnow


class Verdict(StrEnum):
    first = "first"  # the answer before the pushback is better: the pair is stored swapped
    second = "second"  # the revised answer is better: the detected orientation is confirmed
    tie = "tie"
    not_a_pair = "not_a_pair"


class Judgment(SQLModel, table=True):
    __tablename__ = "judgment"
    __table_args__ = (
        UniqueConstraint("pair_id", "reviewer_id"),
        # A reviewer's judgments newest first (the queue's recent conversations, the reviewer's numbers),
        # read from the index instead of sorted.
        Index("ix_judgment_reviewer_created", "reviewer_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", ondelete="CASCADE", index=True)
    reviewer_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    verdict: str = Field(max_length=20)
    # Which detected answer was shown on the left: "first" or "second" (sides are randomized).
    left_side: str = Field(max_length=10)
    patterns_first: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    patterns_second: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    edited_text: str | None = None
    edited_at: datetime | None = None
    edited_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    comment: str | None = Field(default=None, max_length=5000)
    flagged: bool = False
    seconds_spent: float | None = None
    taxonomy_version_id: int | None = Field(default=None, foreign_key="taxonomy_version.id")
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class Assignment(SQLModel, table=True):
    """A lease: the pair is held for this reviewer until `expires_at`."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("pair_id", "reviewer_id"),
        Index("ix_assignment_pair_expires", "pair_id", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    left_side: str = Field(max_length=10)
    leased_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    # A skipped pair is not served to this reviewer again; others still get it.
    skipped: bool = False
    # Rotated on every render of the pair: a verdict must carry the token of the screen it was made on.
    token: str | None = Field(default=None, max_length=64)
    served_at: datetime | None = None
    # Tags, comment, flag and gold text of an undone verdict, put back on the screen.
    draft: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    # A control pair served to this reviewer (app/review/controls.py): the verdict is a control answer.
    control: bool = False


class Adjudication(SQLModel, table=True):
    """An admin's final decision on a pair whose reviewers disagreed; the pair's status follows it."""

    __tablename__ = "adjudication"

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", ondelete="CASCADE", unique=True)
    admin_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    # A verdict in the detected orientation: first, second, tie or not_a_pair.
    verdict: str = Field(max_length=20)
    note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class ControlPair(SQLModel, table=True):
    """A judged pair an admin marked as a control: served to reviewers at the control rate, never counted."""

    __tablename__ = "control_pair"

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", ondelete="CASCADE", unique=True)
    # The expected verdict in the detected orientation (first, second, tie, not_a_pair): the pair's final one.
    verdict: str = Field(max_length=20)
    admin_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class ControlAnswer(SQLModel, table=True):
    """A reviewer's verdict on a control pair: kept apart from judgments, so no status, count, agreement
    figure, export or scorer label sees it."""

    __tablename__ = "control_answer"
    __table_args__ = (
        UniqueConstraint("pair_id", "reviewer_id"),
        Index("ix_control_answer_reviewer_created", "reviewer_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(foreign_key="pair.id", ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    # In the detected orientation, as a judgment's verdict.
    verdict: str = Field(max_length=20)
    left_side: str = Field(max_length=10)
    comment: str | None = Field(default=None, max_length=5000)
    flagged: bool = False
    seconds_spent: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
