"""JSON API v1 for evaluations: the blind A/B queue for reviewers and scripts, the report for admins."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.errors import READ_ERRORS, WRITE_ERRORS, error_responses, strict_query
from app.api.schemas import Slug
from app.auth.deps import AdminUser, CurrentUser
from app.db import SessionDep
from app.evaluation import queue
from app.evaluation.report import build_report
from app.evaluation.service import get_evaluation
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
