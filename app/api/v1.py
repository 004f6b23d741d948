"""JSON API v1: thin routes over the same services as the pages, bearer tokens or a session.

Reviewers get what the review screen shows them: the pair they hold, blind (screen order, no status,
no orientation, no other reviewer's gold edit). Admins see pairs as stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Query, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.api.errors import READ_ERRORS, WRITE_ERRORS, error_responses, strict_query
from app.api.schemas import (
    AdminPairOut,
    EditOut,
    GoldPromptIn,
    JudgmentIn,
    JudgmentOut,
    LeaseOut,
    PairOut,
    PairPage,
    PreferJudgmentIn,
    ReviewPairOut,
    SuggestionDecisionIn,
    SuggestionOut,
)
from app.assist.models import Suggestion
from app.assist.opinions import current_opinion, current_opinions
from app.assist.service import decide, pending_suggestions
from app.auth.deps import AdminUser, CurrentUser
from app.auth.models import Role, User
from app.db import SessionDep
from app.errors import ConflictError, NotFoundError
from app.jobs.service import get_job
from app.models_base import utcnow
from app.pairs.edits import add_edit
from app.pairs.models import EditField, Pair, PairEdit, PairStatus
from app.pairs.views_data import iter_pair_details, load_details
from app.params import AfterId, PathId
from app.patterns.service import list_patterns
from app.review import controls, queue
from app.review.models import Assignment, Judgment, Verdict
from app.review.service import JudgmentInput, submit

router = APIRouter(prefix="/api/v1", tags=["v1"], dependencies=[Depends(strict_query)])

OTHER_SIDE = {"first": "second", "second": "first"}


def _review_out(session: Session, assignment: Assignment) -> ReviewPairOut:
    pair = session.get(Pair, assignment.pair_id)
    assert pair is not None
    live = assignment.expires_at > utcnow() and not assignment.skipped
    return ReviewPairOut.blind(
        load_details(session, pairs=[pair])[0],
        swapped=pair.swapped,
        left_side=assignment.left_side,
        lease_expires_at=assignment.expires_at.isoformat() if live else None,
        opinion=current_opinion(session, pair_id=assignment.pair_id),
    )


def _held(session: Session, user: User, pair_id: int) -> Assignment | None:
    return session.exec(
        select(Assignment).where(
            col(Assignment.pair_id) == pair_id,
            col(Assignment.reviewer_id) == user.id,
            col(Assignment.skipped).is_(False),
        )
    ).first()


@router.get(
    "/pairs", response_model=PairPage, responses=error_responses(*READ_ERRORS), operation_id="list_pairs"
)
def list_pairs(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[PairStatus | None, Query(description="Admins only: filter by status.")] = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    after: AfterId = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PairPage:
    """Admins: every pair, in id order. Reviewers: the pair they hold, as the review screen shows it."""
    items: list[AdminPairOut | ReviewPairOut]
    if user.role == Role.admin:
        details = list(
            iter_pair_details(session, status=status, min_score=min_score, after_id=after, limit=limit)
        )
        opinions = current_opinions(session, pair_ids=[d.id for d in details])
        items = [AdminPairOut.of(d, opinion=opinions.get(d.id)) for d in details]
    else:
        held = queue.current_assignment(session, reviewer=user)
        items = []
        if held is not None and held.pair_id > after and status is None:
            review = _review_out(session, held)
            if min_score is None or review.score >= min_score:
                items = [review]
    return PairPage(items=items, next_after=items[-1].id if items and len(items) == limit else None)


@router.get(
    "/pairs/{pair_id}",
    response_model=PairOut,
    responses=error_responses(*READ_ERRORS),
    operation_id="get_pair",
)
def get_pair(session: SessionDep, user: CurrentUser, pair_id: PathId) -> AdminPairOut | ReviewPairOut:
    """Admins: any pair. Reviewers: only a pair they hold (others do not exist for them: 404)."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    if user.role == Role.admin:
        detail = load_details(session, pairs=[pair])[0]
        return AdminPairOut.of(detail, opinion=current_opinion(session, pair_id=pair_id))
    held = _held(session, user, pair_id)
    if held is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    return _review_out(session, held)


# OpenAPI links: a client (and schemathesis' stateful phase) learns that the leased id feeds these calls.
LEASE_LINKS = {
    "GetLeasedPair": {"operationId": "get_pair", "parameters": {"pair_id": "$response.body#/pair/id"}},
    "JudgeLeasedPair": {
        "operationId": "submit_judgment",
        "parameters": {"pair_id": "$response.body#/pair/id"},
    },
}


@router.post(
    "/review/next",
    response_model=LeaseOut,
    responses={200: {"links": LEASE_LINKS}, **error_responses(*WRITE_ERRORS)},
    operation_id="lease_next",
)
def lease_next(session: SessionDep, user: CurrentUser) -> LeaseOut:
    """Lease the next pair for the caller (the same queue and lease rules as the review page)."""
    assignment = queue.lease_next(session, reviewer=user)
    return LeaseOut(pair=_review_out(session, assignment) if assignment is not None else None)


@router.post(
    "/pairs/{pair_id}/judgments",
    response_model=JudgmentOut,
    status_code=201,
    responses=error_responses(*WRITE_ERRORS),
    operation_id="submit_judgment",
)
def submit_judgment(
    session: SessionDep,
    user: CurrentUser,
    pair_id: PathId,
    body: Annotated[JudgmentIn, Body()],
    background: BackgroundTasks,
) -> JudgmentOut:
    """Judge a pair the caller holds (leased with POST /review/next), in the caller's screen order.

    A verdict is a label for the scorer, as on the review screen: the one that makes a training due queues it.
    """
    if session.get(Pair, pair_id) is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    held = _held(session, user, pair_id)
    if held is None:
        mine = select(Judgment.id).where(
            col(Judgment.pair_id) == pair_id, col(Judgment.reviewer_id) == user.id
        )
        if session.exec(mine).first() is not None:
            raise ConflictError("You already judged this pair; press u to undo your last verdict.")
        raise NotFoundError(f"pair {pair_id} is not in your queue; lease pairs with POST /api/v1/review/next")
    origin = {"left": held.left_side, "right": OTHER_SIDE[held.left_side]}
    verdict = Verdict(origin[body.verdict]) if body.verdict in origin else Verdict(body.verdict)
    edited = body.edited_text if isinstance(body, PreferJudgmentIn) else None
    if edited is not None:
        screen = _review_out(session, held)
        original = screen.left if body.verdict == "left" else screen.right
        edited = edited.replace("\r\n", "\n")
        edited = None if edited == original else edited
    if held.control:
        answer = controls.answer(
            session,
            reviewer=user,
            assignment=held,
            verdict=verdict,
            comment=body.comment,
            flagged=body.flagged,
        )
        return JudgmentOut(
            id=answer.id or 0, pair_id=pair_id, verdict=body.verdict, patterns_left=[], patterns_right=[],
            edited_text=None, comment=answer.comment, flagged=answer.flagged, version=1,
        )  # fmt: skip
    first_is_left = held.left_side == "first"
    judgment = submit(
        session,
        reviewer=user,
        pair_id=pair_id,
        data=JudgmentInput(
            verdict=verdict,
            patterns_first=body.patterns_left if first_is_left else body.patterns_right,
            patterns_second=body.patterns_right if first_is_left else body.patterns_left,
            edited_text=edited,
            comment=body.comment,
            flagged=body.flagged,
        ),
        background=background,
    )
    return _judgment_out(judgment, left_side=held.left_side)


def _held_or_404(session: Session, user: User, pair_id: int) -> Assignment:
    """The caller's lease of a pair, as the review screen's standalone panel requires; 404 otherwise."""
    held = _held(session, user, pair_id) if session.get(Pair, pair_id) is not None else None
    if held is None:
        raise NotFoundError(f"pair {pair_id} is not in your queue; lease pairs with POST /api/v1/review/next")
    return held


def _edit_out(edit: PairEdit) -> EditOut:
    return EditOut(
        pair_id=edit.pair_id, field="prompt" if edit.field == EditField.prompt else "chosen", text=edit.text,
        previous_text=edit.previous_text, source=edit.source, created_at=edit.created_at.isoformat(),
    )  # fmt: skip


def _suggestion_out(suggestion: Suggestion) -> SuggestionOut:
    assert suggestion.id is not None
    return SuggestionOut(
        id=suggestion.id, pair_id=suggestion.pair_id, field="prompt" if suggestion.field == "prompt" else "chosen",
        text=suggestion.text, base_text=suggestion.base_text, model=suggestion.model,
        status=suggestion.status,
        created_at=suggestion.created_at.isoformat(),
    )  # fmt: skip


@router.put(
    "/pairs/{pair_id}/gold-prompt",
    response_model=EditOut,
    responses=error_responses(*WRITE_ERRORS),
    operation_id="set_gold_prompt",
)
def set_gold_prompt(
    session: SessionDep, user: CurrentUser, pair_id: PathId, body: Annotated[GoldPromptIn, Body()]
) -> EditOut:
    """Save a gold prompt for a pair the caller holds, as the review screen's standalone panel does: the question
    with the follow-up's new facts folded in, exported in place of the prompt's last user message."""
    _held_or_404(session, user, pair_id)
    edit = add_edit(
        session, pair_id=pair_id, field=EditField.prompt, text=body.text, source="reviewer", author_id=user.id
    )
    return _edit_out(edit)


@router.get(
    "/pairs/{pair_id}/suggestions",
    response_model=list[SuggestionOut],
    responses=error_responses(*READ_ERRORS),
    operation_id="list_suggestions",
)
def list_suggestions(session: SessionDep, user: CurrentUser, pair_id: PathId) -> list[SuggestionOut]:
    """The pending model suggestions of a pair the caller holds (made by the suggest job)."""
    _held_or_404(session, user, pair_id)
    return [_suggestion_out(s) for s in pending_suggestions(session, pair_id=pair_id)]


@router.post(
    "/pairs/{pair_id}/suggestions/{suggestion_id}/decision",
    response_model=SuggestionOut,
    responses=error_responses(*WRITE_ERRORS),
    operation_id="decide_suggestion",
)
def decide_suggestion(
    session: SessionDep,
    user: CurrentUser,
    pair_id: PathId,
    suggestion_id: PathId,
    body: Annotated[SuggestionDecisionIn, Body()],
) -> SuggestionOut:
    """Accept a pending suggestion (its text becomes the gold prompt or answer, with lineage) or ignore it; a
    suggestion already decided is a conflict (409)."""
    _held_or_404(session, user, pair_id)
    decided = decide(
        session, pair_id=pair_id, suggestion_id=suggestion_id, reviewer=user, accept=body.decision == "accept"
    )
    return _suggestion_out(decided)


class ControlOut(BaseModel):
    """A control pair: its expected verdict is the pair's final one, in the detected orientation."""

    pair_id: int
    verdict: Verdict
    created_at: str


@router.put(
    "/pairs/{pair_id}/control",
    response_model=ControlOut,
    responses=error_responses(*WRITE_ERRORS),
    operation_id="mark_control",
)
def mark_control(session: SessionDep, user: AdminUser, pair_id: PathId) -> ControlOut:
    """Admins: mark a judged pair as a control (served at the control rate; answers kept apart)."""
    control = controls.mark(session, admin=user, pair_id=pair_id)
    return ControlOut(
        pair_id=pair_id, verdict=Verdict(control.verdict), created_at=control.created_at.isoformat()
    )


@router.delete(
    "/pairs/{pair_id}/control",
    status_code=204,
    response_class=Response,
    responses=error_responses(*WRITE_ERRORS),
    operation_id="unmark_control",
)
def unmark_control(session: SessionDep, user: AdminUser, pair_id: PathId) -> Response:
    """Admins: stop using a pair as a control."""
    controls.unmark(session, admin=user, pair_id=pair_id)
    return Response(status_code=204)


class JobOut(BaseModel):
    """A background job as its page shows it: what it is, how far it got, and how it ended."""

    id: int
    kind: str
    status: str
    progress: int
    total: int | None
    message: str | None
    error: str | None
    result: dict[str, Any] | None
    created_at: str
    started_at: str | None
    finished_at: str | None


@router.get(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses=error_responses(*READ_ERRORS),
    operation_id="get_job",
)
def job(session: SessionDep, user: AdminUser, job_id: PathId) -> JobOut:
    """Admins: a job launched by a route that answers 202 (the model judge) or by a page, to poll until its
    `status` is `succeeded`, `failed` or `cancelled`."""
    found = get_job(session, job_id=job_id)
    return JobOut(
        id=found.id or 0, kind=found.kind, status=str(found.status), progress=found.progress, total=found.total,
        message=found.message, error=found.error, result=found.result, created_at=found.created_at.isoformat(),
        started_at=found.started_at.isoformat() if found.started_at else None,
        finished_at=found.finished_at.isoformat() if found.finished_at else None,
    )  # fmt: skip


def _judgment_out(judgment: Judgment, *, left_side: str) -> JudgmentOut:
    assert judgment.id is not None
    screen = {left_side: "left", OTHER_SIDE[left_side]: "right"}
    first_is_left = left_side == "first"
    return JudgmentOut(
        id=judgment.id,
        pair_id=judgment.pair_id,
        verdict=screen.get(judgment.verdict, judgment.verdict),
        patterns_left=judgment.patterns_first if first_is_left else judgment.patterns_second,
        patterns_right=judgment.patterns_second if first_is_left else judgment.patterns_first,
        edited_text=judgment.edited_text,
        comment=judgment.comment,
        flagged=judgment.flagged,
        version=judgment.version,
    )


@router.get("/openapi.json", include_in_schema=False)
def openapi(session: SessionDep) -> dict[str, Any]:
    """The OpenAPI document of /api/v1 (bearer token: `Authorization: Bearer pw_...`).

    Pattern slugs are listed as an enum of the active taxonomy, so the document says which are accepted.
    """
    from fastapi.openapi.utils import get_openapi

    from app.api import evaluations

    schema = get_openapi(
        title="Pairwise API",
        version="1",
        routes=[*router.routes, *evaluations.router.routes],
        description="Pairs, judgments and blind model comparisons. Authenticate with a bearer token from "
        "/account/tokens or `pairwise users token NAME`. Every error answers with the `ApiError` shape.",
    )
    slugs = [p.slug for p in list_patterns(session, active_only=True)]
    components = schema.setdefault("components", {})
    for name in ("PreferJudgmentIn", "OtherJudgmentIn", "ComparisonJudgmentIn"):
        for side in ("patterns_left", "patterns_right"):
            items = components["schemas"][name]["properties"][side]["items"]
            if slugs:
                items["enum"] = slugs
            else:
                components["schemas"][name]["properties"][side]["maxItems"] = 0
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    schema["security"] = [{"bearer": []}]
    return schema
