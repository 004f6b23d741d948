"""The review screen's standalone panel: leak spans, the make-standalone transform, the gold prompt, suggestions.

Every route acts on a pair the reviewer holds (a lease), like the verdict routes; each answers with the
panel partial, so the keys (standaloneKey in static/app.js) and the mouse do the same thing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from app.assist.service import decide, pending_suggestions
from app.auth.deps import CurrentUser
from app.auth.models import User
from app.db import SessionDep
from app.errors import NotFoundError, ValidationFailedError
from app.pairs.edits import MAX_TEXT, add_edit
from app.pairs.leak_check import leak_view
from app.pairs.models import EditField, Pair
from app.pairs.views_data import load_details
from app.params import PathId
from app.review.diff import word_diff
from app.review.models import Assignment
from app.web import render

router = APIRouter(prefix="/review")


def _held_pair(session: Session, user: User, pair_id: int) -> Pair:
    pair = session.get(Pair, pair_id)
    held = session.exec(
        select(Assignment).where(col(Assignment.pair_id) == pair_id, col(Assignment.reviewer_id) == user.id)
    ).first()
    if pair is None or held is None:
        raise NotFoundError(f"pair {pair_id} is not in your queue")
    return pair


def _panel(request: Request, session: Session, pair: Pair, notice: str | None = None) -> HTMLResponse:
    detail = load_details(session, pairs=[pair])[0]
    users = [m["content"] for m in detail.prompt if m["role"] == "user"]
    suggestions = [
        {"s": s, "diff": word_diff(s.base_text, s.text)}
        for s in pending_suggestions(session, pair_id=pair.id or 0)
    ]
    context: dict[str, Any] = {
        "pair": pair,
        **leak_view(detail, swapped=pair.swapped),
        "question": detail.gold_prompt if detail.gold_prompt is not None else (users[-1] if users else ""),
        "gold_edited": detail.gold_edited,
        "current_chosen": detail.chosen,
        "suggestions": suggestions,
        "notice": notice,
    }
    return render(request, "review/_standalone.html", context)


@router.get("/{pair_id}/standalone", response_class=HTMLResponse)
def panel(request: Request, session: SessionDep, user: CurrentUser, pair_id: PathId) -> HTMLResponse:
    return _panel(request, session, _held_pair(session, user, pair_id))


@router.post("/{pair_id}/standalone/transform", response_class=HTMLResponse)
def apply_transform(
    request: Request, session: SessionDep, user: CurrentUser, pair_id: PathId
) -> HTMLResponse:
    """Make the revised answer standalone (the previewed transform) and keep it as the gold answer."""
    pair = _held_pair(session, user, pair_id)
    view = leak_view(load_details(session, pairs=[pair])[0], swapped=pair.swapped)
    if not view["leak_fix"]:
        raise ValidationFailedError("the standalone transform does not apply to this answer: edit it instead")
    add_edit(session, pair_id=pair_id, field=EditField.chosen, text=view["leak_fix"], source="transform",
             author_id=user.id)  # fmt: skip
    return _panel(request, session, pair, notice="Gold answer: the standalone transform was applied.")


@router.post("/{pair_id}/standalone/prompt", response_class=HTMLResponse)
def edit_prompt(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    pair_id: PathId,
    text: Annotated[str, Form(min_length=1, max_length=MAX_TEXT)],
) -> HTMLResponse:
    """Save a gold prompt: the question with the follow-up's new facts folded in."""
    pair = _held_pair(session, user, pair_id)
    add_edit(
        session, pair_id=pair_id, field=EditField.prompt, text=text, source="reviewer", author_id=user.id
    )
    return _panel(request, session, pair, notice="Gold prompt saved.")


@router.post("/{pair_id}/suggestions/{suggestion_id}/{decision}", response_class=HTMLResponse)
def decide_suggestion(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    pair_id: PathId,
    suggestion_id: PathId,
    decision: str,
) -> HTMLResponse:
    """Accept (it becomes the gold prompt or answer, with lineage) or ignore a model suggestion."""
    if decision not in ("accept", "ignore"):
        raise NotFoundError(f"no such decision {decision!r}: accept or ignore")
    pair = _held_pair(session, user, pair_id)
    decided = decide(
        session, pair_id=pair_id, suggestion_id=suggestion_id, reviewer=user, accept=decision == "accept"
    )
    notice = f"Suggestion {'accepted' if decision == 'accept' else 'ignored'} ({decided.field})."
    return _panel(request, session, pair, notice=notice)
