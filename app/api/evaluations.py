"""JSON API v1 for evaluations: the blind A/B queue for reviewers and scripts, the report for admins."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.api.errors import READ_ERRORS, WRITE_ERRORS, error_responses, strict_query
from app.api.schemas import Slug
from app.auth.deps import AdminUser, CurrentUser
from app.db import SessionDep
from app.evaluation import queue
from app.evaluation.judge import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_RUBRIC,
    current_rubric,
    launch_judge,
    rubric_sha256,
    rubric_text,
    save_rubric,
)
from app.evaluation.report import build_report
from app.evaluation.service import get_evaluation
from app.jobs.service import enqueue_after_response
from app.params import PathId

router = APIRouter(prefix="/api/v1/evaluations", tags=["evaluations"], dependencies=[Depends(strict_query)])


class Side(BaseModel):
    text: str


class ComparisonOut(BaseModel):
    comparison_id: int
    prompt: list[dict[str, str]]
    left: Side
    right: Side
    expires_at: str


class ComparisonJudgmentIn(BaseModel):
    """A verdict by screen side; patterns are the slugs each answer shows."""

    model_config = ConfigDict(extra="forbid")

    verdict: Literal["left", "right", "tie"]
    patterns_left: list[Slug] = Field(default_factory=list, max_length=50)
    patterns_right: list[Slug] = Field(default_factory=list, max_length=50)


class ComparisonJudgmentOut(BaseModel):
    id: int
    comparison_id: int
    verdict: str
    patterns_left: list[str]
    patterns_right: list[str]


@router.post(
    "/{evaluation_id}/next",
    response_model=ComparisonOut,
    responses={204: {"description": "Nothing left"}, **error_responses(*WRITE_ERRORS)},
)
def lease_next(session: SessionDep, user: CurrentUser, evaluation_id: PathId) -> Any:
    """Lease the next comparison for the caller (sides randomized per reviewer; labels hidden)."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    lease = queue.lease_next(session, evaluation=evaluation, reviewer=user)
    if lease is None:
        return Response(status_code=204)
    view = queue.view_for(session, lease=lease)
    return ComparisonOut(
        comparison_id=lease.comparison_id, prompt=view.prompt.messages, left=Side(text=view.left_text),
        right=Side(text=view.right_text), expires_at=lease.expires_at.isoformat(),
    )  # fmt: skip


@router.post(
    "/{evaluation_id}/comparisons/{comparison_id}/judgments",
    response_model=ComparisonJudgmentOut,
    status_code=201,
    responses=error_responses(*WRITE_ERRORS),
)
def submit_judgment(
    session: SessionDep,
    user: CurrentUser,
    evaluation_id: PathId,
    comparison_id: PathId,
    body: ComparisonJudgmentIn,
) -> ComparisonJudgmentOut:
    get_evaluation(session, evaluation_id=evaluation_id)
    judgment = queue.submit(
        session, evaluation_id=evaluation_id, comparison_id=comparison_id, reviewer=user, verdict=body.verdict,
        patterns_left=body.patterns_left, patterns_right=body.patterns_right,
    )  # fmt: skip
    return ComparisonJudgmentOut(
        id=judgment.id or 0, comparison_id=comparison_id, verdict=body.verdict,
        patterns_left=sorted(set(body.patterns_left)), patterns_right=sorted(set(body.patterns_right)),
    )  # fmt: skip


@router.get("/{evaluation_id}", responses=error_responses(*READ_ERRORS))
def report(session: SessionDep, user: AdminUser, evaluation_id: PathId) -> dict[str, Any]:
    """The report (admins: it names the candidates): the same JSON as `pairwise eval show --json`."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    return build_report(session, evaluation=evaluation).to_json()


class RubricOut(BaseModel):
    """The judge's rubric: the stored current version, or (version null) the default it would start with."""

    evaluation_id: int
    version: int | None
    text: str
    sha256: str
    created_at: str | None


class RubricIn(BaseModel):
    """A new rubric version; `text` null stores the default text from the current pattern taxonomy."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(max_length=MAX_RUBRIC + 1000)


class JudgeLaunchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class JudgeLaunchOut(BaseModel):
    job_id: int
    status: str
    evaluation_id: int
    rubric_version: int
    limit: int


def _rubric_out(session: Session, evaluation_id: int) -> RubricOut:
    rubric = current_rubric(session, evaluation_id=evaluation_id)
    if rubric is None:
        text = rubric_text(session, evaluation_id=evaluation_id)
        return RubricOut(
            evaluation_id=evaluation_id, version=None, text=text, sha256=rubric_sha256(text), created_at=None
        )
    return RubricOut(
        evaluation_id=evaluation_id, version=rubric.version, text=rubric.text, sha256=rubric.sha256,
        created_at=rubric.created_at.isoformat(),
    )  # fmt: skip


@router.get(
    "/{evaluation_id}/judge/rubric",
    response_model=RubricOut,
    responses=error_responses(*READ_ERRORS),
    operation_id="get_judge_rubric",
)
def get_rubric(session: SessionDep, user: AdminUser, evaluation_id: PathId) -> RubricOut:
    """Admins: the model judge's current rubric (version null: none stored yet, this default would be)."""
    get_evaluation(session, evaluation_id=evaluation_id)
    return _rubric_out(session, evaluation_id)


@router.put(
    "/{evaluation_id}/judge/rubric",
    response_model=RubricOut,
    responses=error_responses(*WRITE_ERRORS),
    operation_id="set_judge_rubric",
)
def set_rubric(session: SessionDep, user: AdminUser, evaluation_id: PathId, body: RubricIn) -> RubricOut:
    """Admins: save the judge's rubric as a new version (the same text keeps the current one). The judge then
    asks every comparison again under it; judgments under earlier versions stay stored and apart."""
    save_rubric(session, evaluation_id=evaluation_id, text=body.text, user_id=user.id)
    return _rubric_out(session, evaluation_id)


@router.post(
    "/{evaluation_id}/judge",
    response_model=JudgeLaunchOut,
    status_code=202,
    responses=error_responses(*WRITE_ERRORS),
    operation_id="launch_judge",
)
def judge(
    session: SessionDep,
    user: AdminUser,
    background: BackgroundTasks,
    evaluation_id: PathId,
    body: JudgeLaunchIn,
) -> JudgeLaunchOut:
    """Admins: queue the model judge for up to `limit` comparisons not yet judged under the current rubric (the
    page's button). 409 without a suggestion provider; its results appear in the report's `judge` block."""
    job = launch_judge(session, evaluation_id=evaluation_id, limit=body.limit, user_id=user.id)
    enqueue_after_response(background, job.id or 0)
    rubric = current_rubric(session, evaluation_id=evaluation_id)
    assert rubric is not None  # launch_judge stores the default one first
    return JudgeLaunchOut(
        job_id=job.id or 0, status=str(job.status), evaluation_id=evaluation_id, rubric_version=rubric.version,
        limit=body.limit,
    )  # fmt: skip
