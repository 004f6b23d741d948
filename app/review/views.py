"""The review screen: next pair, verdicts, skip, undo, and the reviewer's recent judgments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import and_
from sqlmodel import Session, col, select

from app.auth.deps import CurrentUser
from app.auth.models import User
from app.conversations.models import Turn
from app.db import SessionDep
from app.errors import NotFoundError, ValidationFailedError
from app.pairs.models import Pair
from app.params import MAX_DB_INT, PathId
from app.review import controls, queue
from app.review.diff import word_diff
from app.review.guidelines import get_guidelines
from app.review.models import Assignment, Judgment, Verdict
from app.review.page import build_view, tool_blocks
from app.review.service import (
    JudgmentInput,
    check_render,
    edit_judgment,
    lock_pair,
    own_judgment,
    submit,
    undo_last,
)
from app.review.stats import reviewer_numbers
from app.review.summary import queue_summary
from app.settings.service import get_value
from app.web import hx_redirect, is_htmx, render

router = APIRouter(prefix="/review")

SIDES = ("left", "right")


def _pane(
    request: Request, session: Session, user: User, assignment: Assignment | None, notice: str | None = None
) -> HTMLResponse:
    stats, remaining = reviewer_numbers(session, reviewer=user)
    context = {
        "view": build_view(session, assignment=assignment) if assignment else None,
        "stats": stats,
        "remaining": remaining,
        "remaining_cap": queue.REMAINING_CAP,
        "summary": queue_summary(session, reviewer=user) if assignment is None else None,
        "min_ms": int(get_value(session, key="review_min_ms")),
        "guidelines": get_guidelines(session),
        "tool_blocks": tool_blocks,
        "notice": notice,
        "loading": False,
        "preview": False,
    }
    return render(request, "review/page.html", context, block="pane" if is_htmx(request) else None)


@router.get("", response_class=HTMLResponse)
def review_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Show the pair this reviewer holds; otherwise a page that asks for the next one (GET never leases).

    Reviewers get the next pair at once; an admin who only looks sees the queue's counts and takes no
    lease until they choose to start.
    """
    assignment = queue.current_assignment(session, reviewer=user)
    if assignment is not None and assignment.token is not None:
        return _pane(request, session, user, assignment)
    # A lease without a token (taken before tokens existed) is served again by POST /review/next.
    preview = user.role == "admin" and assignment is None
    stats, remaining = reviewer_numbers(session, reviewer=user)
    context = {
        "view": None,
        "stats": stats,
        "remaining": remaining,
        "remaining_cap": queue.REMAINING_CAP,
        "summary": queue_summary(session, reviewer=user) if preview else None,
        "loading": not preview,
        "preview": preview,
        "notice": None,
    }
    return render(request, "review/page.html", context)


@router.post("/next", response_class=HTMLResponse)
def review_next(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _pane(request, session, user, queue.lease_next(session, reviewer=user))


def _held(session: Session, user: User, pair_id: int) -> Assignment:
    # One statement: whether the pair exists, and this reviewer's assignment of it.
    found = session.execute(
        select(col(Pair.id), Assignment)
        .outerjoin(
            Assignment,
            and_(col(Assignment.pair_id) == col(Pair.id), col(Assignment.reviewer_id) == user.id),
        )
        .where(col(Pair.id) == pair_id)
    ).first()
    if found is None:
        raise NotFoundError(f"pair {pair_id} does not exist")
    assignment: Assignment | None = found[1]
    if assignment is None:
        raise NotFoundError(f"pair {pair_id} is not in your queue")
    return assignment


@router.post("/{pair_id}/judge", response_class=HTMLResponse)
def judge(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    pair_id: PathId,
    background: BackgroundTasks,
    verdict: Annotated[str, Form(pattern="^(left|right|tie|not_a_pair)$")],
    patterns_left: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI form defaults
    patterns_right: Annotated[list[str], Form()] = [],  # noqa: B006
    comment: Annotated[str | None, Form(max_length=5000)] = None,
    flagged: Annotated[bool, Form()] = False,
    edited_side: Annotated[str | None, Form(pattern="^(left|right)?$")] = None,
    edited_text: Annotated[str | None, Form(max_length=200_000)] = None,
    token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    # The pair is locked and this reviewer's assignment read in one statement, before anything is checked.
    pair, assignment = lock_pair(session, reviewer=user, pair_id=pair_id)
    if assignment is None:
        raise NotFoundError(f"pair {pair_id} is not in your queue")
    origin = {"left": assignment.left_side, "right": "second" if assignment.left_side == "first" else "first"}
    if verdict in SIDES:
        decided = Verdict(origin[verdict])
    else:
        decided = Verdict(verdict)
    if assignment.control:
        # A control looks and answers like any pair; its verdict is a control answer, nothing else changes
        # (tags and a gold edit are not kept).
        controls.answer(
            session,
            reviewer=user,
            assignment=assignment,
            verdict=decided,
            comment=comment,
            flagged=flagged,
            screen_token=token,
        )
        return _pane(request, session, user, queue.lease_next(session, reviewer=user))
    gold = None
    if edited_side and edited_text is not None:
        view = build_view(session, assignment=assignment)
        original = (view.left if edited_side == "left" else view.right).turn.text
        if edited_text.replace("\r\n", "\n") != original:
            if verdict != edited_side:
                raise ValidationFailedError(
                    f"You edited the {edited_side} answer but did not prefer it; a gold edit belongs to the better answer."
                )
            gold = edited_text.replace("\r\n", "\n")
    submit(
        session,
        reviewer=user,
        pair_id=pair_id,
        data=JudgmentInput(
            verdict=decided,
            patterns_first=patterns_left if origin["left"] == "first" else patterns_right,
            patterns_second=patterns_right if origin["left"] == "first" else patterns_left,
            edited_text=gold,
            comment=comment,
            flagged=flagged,
        ),
        screen_token=token,
        locked=(pair, assignment),
        background=background,
    )
    return _pane(request, session, user, queue.lease_next(session, reviewer=user))


@router.get("/{pair_id}/diff", response_class=HTMLResponse)
def diff(request: Request, session: SessionDep, user: CurrentUser, pair_id: PathId) -> Response:
    """The word diff of the two answers in this reviewer's screen order, computed on demand."""
    view = build_view(session, assignment=_held(session, user, pair_id))
    return render(
        request,
        "review/page.html",
        {"diff_html": word_diff(view.left.turn.text, view.right.turn.text)},
        block="diff",
    )


@router.post("/{pair_id}/skip", response_class=HTMLResponse)
def skip(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    pair_id: PathId,
    token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_render(session, assignment=_held(session, user, pair_id), token=token)
    queue.skip(session, reviewer=user, pair_id=pair_id)
    return _pane(request, session, user, queue.lease_next(session, reviewer=user))


@router.post("/undo", response_class=HTMLResponse)
def undo(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    pair_id = undo_last(session, reviewer=user)
    notice = "Your last verdict was undone." if pair_id else "Nothing to undo in the last hour."
    session.flush()
    return _pane(request, session, user, queue.current_assignment(session, reviewer=user), notice=notice)


@router.get("/history", response_class=HTMLResponse)
def history(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    judgments = list(
        session.exec(
            select(Judgment)
            .where(col(Judgment.reviewer_id) == user.id)
            .order_by(col(Judgment.created_at).desc(), col(Judgment.id).desc())
            .limit(50)
        )
    )
    return render(request, "review/history.html", {"judgments": judgments})


@router.get("/judgments/{judgment_id}", response_class=HTMLResponse)
def judgment_page(request: Request, session: SessionDep, user: CurrentUser, judgment_id: PathId) -> Response:
    judgment = own_judgment(session, reviewer=user, judgment_id=judgment_id)
    return render(request, "review/judgment.html", _judgment_context(session, judgment))


def _preferred_original(session: Session, judgment: Judgment) -> Turn | None:
    """The answer this reviewer preferred, as imported; None for ties and not-a-pair."""
    pair = session.get(Pair, judgment.pair_id)
    assert pair is not None
    if judgment.verdict not in (Verdict.first, Verdict.second):
        return None
    return session.get(Turn, pair.first_turn_id if judgment.verdict == Verdict.first else pair.second_turn_id)


def _judgment_context(session: Session, judgment: Judgment) -> dict[str, object]:
    pair = session.get(Pair, judgment.pair_id)
    assert pair is not None
    return {"judgment": judgment, "pair": pair, "preferred": _preferred_original(session, judgment)}


@router.post("/judgments/{judgment_id}", response_class=HTMLResponse)
def judgment_edit(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    judgment_id: PathId,
    version: Annotated[int, Form(ge=0, le=MAX_DB_INT)],
    edited_text: Annotated[str | None, Form(max_length=200_000)] = None,
    comment: Annotated[str | None, Form(max_length=5000)] = None,
    flagged: Annotated[bool, Form()] = False,
) -> Response:
    judgment = own_judgment(session, reviewer=user, judgment_id=judgment_id)
    text = edited_text.replace("\r\n", "\n") if edited_text is not None else None
    preferred = _preferred_original(session, judgment)
    if text is not None and judgment.edited_text is None and (preferred is None or text == preferred.text):
        text = None
    edit_judgment(
        session,
        reviewer=user,
        judgment_id=judgment_id,
        version=version,
        edited_text=text,
        comment=comment,
        flagged=flagged,
    )
    return hx_redirect(request, "/review/history")
