"""An evaluation: its prompts, candidates, generated answers, blind comparisons, leases and judgments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from app.models_base import json_column, utcnow


class EvalStatus(StrEnum):
    pending = "pending"  # created; the generation job has not started
    generating = "generating"
    ready = "ready"  # every answer is in; comparisons are open for review
    failed = "failed"  # some answers could not be generated; retrying the job asks only for those


class Evaluation(SQLModel, table=True):
    __tablename__ = "evaluation"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    release_id: int = Field(foreign_key="dataset_release.id", ondelete="RESTRICT", index=True)
    split: str = Field(default="validation", max_length=20)  # validation | all
    limit: int | None = None
    seed: int = 0
    # temperature, max_tokens, seed, system_policy, system_prompt (the release's), concurrency, retries
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    compare: str = Field(default="all", max_length=20)  # all | baseline
    baseline: str | None = Field(default=None, max_length=60)
    subject: str | None = Field(default=None, max_length=60)
    overlap: int = 1
    status: EvalStatus = Field(default=EvalStatus.pending, sa_type=AutoString(length=20), index=True)
    error: str | None = Field(default=None, max_length=4000)
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL")
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, index=True)


class EvalCandidate(SQLModel, table=True):
    __tablename__ = "eval_candidate"
    __table_args__ = (UniqueConstraint("evaluation_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", ondelete="CASCADE", index=True)
    label: str = Field(max_length=60)
    spec: str = Field(max_length=600)  # openai:MODEL | run:ID | hf:PATH
    position: int = 0
    # openai: a base URL given for this candidate (else the fine-tuning provider's); its key encrypted.
    base_url: str | None = Field(default=None, max_length=500)
    api_key: str | None = Field(default=None, max_length=2000)
    key_last4: str | None = Field(default=None, max_length=4)


class EvalPrompt(SQLModel, table=True):
    __tablename__ = "eval_prompt"
    __table_args__ = (UniqueConstraint("evaluation_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", ondelete="CASCADE", index=True)
    position: int
    pair_id: int | None = Field(default=None, foreign_key="pair.id", ondelete="SET NULL")
    messages: list[dict[str, str]] = Field(default_factory=list, sa_column=json_column(nullable=False))
    # Patterns reviewers tagged on the chosen answer of the source pair; empty: reported separately.
    expected_patterns: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))


class EvalAnswer(SQLModel, table=True):
    """A candidate's answer to a prompt; stored once, never asked for again."""

    __tablename__ = "eval_answer"
    __table_args__ = (UniqueConstraint("prompt_id", "candidate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", ondelete="CASCADE", index=True)
    prompt_id: int = Field(foreign_key="eval_prompt.id", ondelete="CASCADE")
    candidate_id: int = Field(foreign_key="eval_candidate.id", ondelete="CASCADE")
    text: str
    finish_reason: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class Comparison(SQLModel, table=True):
    """Two candidates' answers to one prompt; `candidate_a` is the earlier candidate (a fixed order)."""

    __tablename__ = "eval_comparison"
    __table_args__ = (UniqueConstraint("prompt_id", "candidate_a_id", "candidate_b_id"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", ondelete="CASCADE", index=True)
    prompt_id: int = Field(foreign_key="eval_prompt.id", ondelete="CASCADE")
    candidate_a_id: int = Field(foreign_key="eval_candidate.id", ondelete="CASCADE")
    candidate_b_id: int = Field(foreign_key="eval_candidate.id", ondelete="CASCADE")


class ComparisonLease(SQLModel, table=True):
    """A comparison held for a reviewer, with the side each candidate is shown on (randomized, recorded)."""

    __tablename__ = "eval_lease"
    __table_args__ = (
        UniqueConstraint("comparison_id", "reviewer_id"),
        Index("ix_eval_lease_comparison_expires", "comparison_id", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    comparison_id: int = Field(foreign_key="eval_comparison.id", ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    left_candidate_id: int = Field(foreign_key="eval_candidate.id", ondelete="CASCADE")
    leased_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ComparisonJudgment(SQLModel, table=True):
    """A human verdict on a comparison, stored per candidate (not per screen side)."""

    __tablename__ = "eval_judgment"
    __table_args__ = (UniqueConstraint("comparison_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    comparison_id: int = Field(foreign_key="eval_comparison.id", ondelete="CASCADE", index=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", ondelete="CASCADE", index=True)
    reviewer_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    # Which candidate the reviewer saw on the left; the winner is a candidate, or None for a tie.
    left_candidate_id: int = Field(foreign_key="eval_candidate.id", ondelete="CASCADE")
    winner_candidate_id: int | None = Field(default=None, foreign_key="eval_candidate.id", ondelete="CASCADE")
    patterns_a: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    patterns_b: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    seconds_spent: float | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)


class JudgeRubric(SQLModel, table=True):
    """The instruction the model judge answers, one immutable row per version; the highest version is current."""

    __tablename__ = "eval_judge_rubric"
    __table_args__ = (UniqueConstraint("evaluation_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", ondelete="CASCADE", index=True)
    version: int
    text: str
    sha256: str = Field(max_length=64)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class JudgeJudgment(SQLModel, table=True):
    """A model judge's verdict on a comparison under one rubric version, stored per candidate like a human's.

    Kept apart from ComparisonJudgment: the human adherence, head-to-head and decision never read it.
    """

    __tablename__ = "eval_judge_judgment"
    __table_args__ = (UniqueConstraint("comparison_id", "rubric_id"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", ondelete="CASCADE", index=True)
    comparison_id: int = Field(foreign_key="eval_comparison.id", ondelete="CASCADE")
    rubric_id: int = Field(foreign_key="eval_judge_rubric.id", ondelete="CASCADE", index=True)
    # The rubric's version and hash, with its text in the rubric row: what this verdict answered.
    rubric_version: int
    rubric_sha256: str = Field(max_length=64)
    # The candidate sent as the left answer (randomized per call), so position bias can be checked.
    left_candidate_id: int = Field(foreign_key="eval_candidate.id", ondelete="CASCADE")
    winner_candidate_id: int | None = Field(default=None, foreign_key="eval_candidate.id", ondelete="CASCADE")
    patterns_a: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    patterns_b: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    # Slugs the model named that are not in the taxonomy: dropped, counted here.
    dropped_patterns: int = 0
    reason: str = Field(default="", max_length=500)
    model: str = Field(max_length=200)
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class JudgeFailure(SQLModel, table=True):
    """A judge call that gave no judgment: a malformed reply or a provider error, in words. Never a verdict."""

    __tablename__ = "eval_judge_failure"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", ondelete="CASCADE", index=True)
    comparison_id: int = Field(foreign_key="eval_comparison.id", ondelete="CASCADE")
    rubric_id: int = Field(foreign_key="eval_judge_rubric.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=20)  # malformed | provider
    message: str = Field(max_length=1000)
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
