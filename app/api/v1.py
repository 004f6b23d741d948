"""JSON API v1: thin routes over the same services as the pages, bearer tokens or a session."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.auth.deps import CurrentUser
from app.db import SessionDep
from app.errors import NotFoundError
from app.pairs.models import Pair, PairStatus
from app.pairs.shape import PairDetail
from app.pairs.views_data import iter_pair_details, load_details
from app.review import queue
from app.review.models import Judgment, Verdict
from app.review.service import JudgmentInput, submit

router = APIRouter(prefix="/api/v1", tags=["v1"])


class PairPage(BaseModel):
    items: list[PairDetail]
    next_after: int | None = Field(description="Pass as `after` to get the next page; null on the last page.")


class JudgmentIn(BaseModel):
    """A verdict in the detected orientation: `first` = the answer before the pushback is better."""

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    patterns_first: list[str] = Field(default_factory=list, max_length=50)
    patterns_second: list[str] = Field(default_factory=list, max_length=50)
    edited_text: str | None = Field(default=None, max_length=200_000)
    comment: str | None = Field(default=None, max_length=5000)
    flagged: bool = False


class JudgmentOut(BaseModel):
    id: int
    pair_id: int
    verdict: str
    patterns_first: list[str]
    patterns_second: list[str]
    edited_text: str | None
    comment: str | None
    flagged: bool
    version: int
    pair_status: str


class LeaseOut(BaseModel):
    pair: PairDetail | None
    left_side: Literal["first", "second"] | None
    expires_at: str | None


def _pair_out(session: Session, pair: Pair) -> PairDetail:
    return load_details(session, pairs=[pair])[0]


@router.get("/pairs", response_model=PairPage)
def list_pairs(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[PairStatus | None, Query()] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PairPage:
    details = list(
        iter_pair_details(session, status=status, min_score=min_score, after_id=after, limit=limit)
    )
    items = details
    return PairPage(items=items, next_after=items[-1].id if len(items) == limit else None)


@router.get("/pairs/{pair_id}", response_model=PairDetail)
def get_pair(session: SessionDep, user: CurrentUser, pair_id: int) -> PairDetail:
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    return _pair_out(session, pair)


@router.post("/review/next", response_model=LeaseOut)
def lease_next(session: SessionDep, user: CurrentUser) -> LeaseOut:
    """Lease the next pair for the caller (the same queue and lease rules as the review page)."""
    assignment = queue.lease_next(session, reviewer=user)
    if assignment is None:
        return LeaseOut(pair=None, left_side=None, expires_at=None)
    pair = session.get(Pair, assignment.pair_id)
    assert pair is not None
    return LeaseOut(
        pair=_pair_out(session, pair),
        left_side=assignment.left_side,
        expires_at=assignment.expires_at.isoformat(),
    )


@router.post("/pairs/{pair_id}/judgments", response_model=JudgmentOut, status_code=201)
def submit_judgment(session: SessionDep, user: CurrentUser, pair_id: int, body: JudgmentIn) -> JudgmentOut:
    judgment = submit(session, reviewer=user, pair_id=pair_id, data=JudgmentInput(**body.model_dump()))
    return _judgment_out(session, judgment)


def _judgment_out(session: Session, judgment: Judgment) -> JudgmentOut:
    pair = session.get(Pair, judgment.pair_id)
    session.refresh(pair)
    assert pair is not None
    assert judgment.id is not None
    return JudgmentOut(
        id=judgment.id,
        pair_id=judgment.pair_id,
        verdict=judgment.verdict,
        patterns_first=judgment.patterns_first,
        patterns_second=judgment.patterns_second,
        edited_text=judgment.edited_text,
        comment=judgment.comment,
        flagged=judgment.flagged,
        version=judgment.version,
        pair_status=pair.status,
    )


@router.get("/openapi.json", include_in_schema=False)
def openapi() -> dict[str, Any]:
    """The OpenAPI document of /api/v1 (bearer token: `Authorization: Bearer pw_...`)."""
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(
        title="Pairwise API",
        version="1",
        routes=router.routes,
        description="Pairs and judgments. Authenticate with a bearer token from /account/tokens.",
    )
    schema.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    schema["security"] = [{"bearer": []}]
    return schema
