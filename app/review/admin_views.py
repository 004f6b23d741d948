"""Admin pages of the review domain: guidelines, agreement between reviewers, adjudication of conflicts,
control pairs and each reviewer's accuracy on them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.deps import AdminUser
from app.db import SessionDep
from app.errors import ValidationFailedError
from app.params import MAX_DB_INT, PathId
from app.patterns.service import list_patterns
from app.review import controls
from app.review.adjudication import adjudicate, case, conflicts, count_conflicts
from app.review.guidelines import Guidelines, get_guidelines, save_guidelines
from app.review.models import Verdict
from app.review.quality import review_quality
from app.settings.service import get_value
from app.web import hx_redirect, render

router = APIRouter(prefix="/review/admin")


@router.get("/guidelines", response_class=HTMLResponse)
def guidelines_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return render(
        request,
        "review/guidelines.html",
        {"guidelines": get_guidelines(session), "patterns": list_patterns(session, active_only=True)},
    )


@router.post("/guidelines")
async def guidelines_save(request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Fields: text, and good_<slug> / bad_<slug> for each active pattern."""
    form = await request.form()
    slugs = [p.slug for p in list_patterns(session, active_only=True)]
    allowed = {"csrf_token", "text"} | {f"{kind}_{slug}" for slug in slugs for kind in ("good", "bad")}
    unknown = sorted(set(form.keys()) - allowed)
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    examples = {
        slug: {kind: str(form.get(f"{kind}_{slug}") or "").strip() for kind in ("good", "bad")}
        for slug in slugs
    }
    save_guidelines(
        session,
        admin_id=user.id,
        guidelines=Guidelines(
            text=str(form.get("text") or "").replace("\r\n", "\n"),
            examples={slug: pair for slug, pair in examples.items() if pair["good"] or pair["bad"]},
        ),
    )
    return hx_redirect(request, "/review/admin/guidelines")


@router.get("/agreement", response_class=HTMLResponse)
def agreement_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return render(
        request,
        "review/agreement.html",
        {
            "quality": review_quality(session),
            "conflicts": count_conflicts(session),
            "accuracy": controls.accuracy(session),
        },
    )


@router.get("/adjudication", response_class=HTMLResponse)
def adjudication_queue(request: Request, session: SessionDep, user: AdminUser) -> Response:
    cases = [case(session, pair_id=pid) for pid in conflicts(session)]
    return render(request, "review/adjudication.html", {"cases": cases, "total": count_conflicts(session)})


@router.post("/adjudication/{pair_id}")
async def adjudication_decide(
    request: Request, session: SessionDep, user: AdminUser, pair_id: int
) -> Response:
    form = await request.form()
    unknown = sorted(set(form.keys()) - {"csrf_token", "verdict", "note", "control"})
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    raw = str(form.get("verdict") or "")
    if raw not in {v.value for v in Verdict}:
        raise ValidationFailedError("verdict: choose first, second, tie or not_a_pair")
    note = str(form.get("note") or "")
    if len(note) > 2000:
        raise ValidationFailedError("note: longer than 2,000 characters")
    control = str(form.get("control") or "")
    if control not in ("", "1"):
        raise ValidationFailedError("control: 1 to mark the pair as a control, or leave it out")
    adjudicate(session, admin=user, pair_id=pair_id, verdict=Verdict(raw), note=note)
    if control:
        controls.mark(session, admin=user, pair_id=pair_id)
    return hx_redirect(request, "/review/admin/adjudication")


@router.get("/controls", response_class=HTMLResponse)
def controls_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return render(
        request,
        "review/controls.html",
        {
            "percent": int(get_value(session, key="control_percent")),
            "max_percent": controls.MAX_PERCENT,
            "controls": controls.list_controls(session),
            "accuracy": controls.accuracy(session),
        },
    )


async def _fields(request: Request, allowed: set[str]) -> dict[str, str]:
    form = await request.form()
    unknown = sorted(set(form.keys()) - allowed - {"csrf_token"})
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    return {key: str(form.get(key) or "").strip() for key in allowed}


def _whole(raw: str, name: str, low: int, high: int) -> int:
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12) or not low <= int(raw) <= high:
        raise ValidationFailedError(f"{name}: a whole number from {low} to {high}")
    return int(raw)


@router.post("/controls/rate")
async def controls_rate(request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Field: percent, the share of served pairs that are controls (0 = off)."""
    raw = (await _fields(request, {"percent"}))["percent"]
    percent = _whole(raw, "percent", 0, controls.MAX_PERCENT)
    controls.set_percent(session, admin=user, percent=percent)
    return hx_redirect(request, "/review/admin/controls")


@router.post("/controls")
async def controls_mark(request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Field: pair_id, a judged pair to mark as a control (its final verdict is the expected one)."""
    raw = (await _fields(request, {"pair_id"}))["pair_id"].removeprefix("#")
    controls.mark(session, admin=user, pair_id=_whole(raw, "pair_id", 1, MAX_DB_INT))
    return hx_redirect(request, "/review/admin/controls")


@router.post("/controls/{pair_id}/unmark")
async def controls_unmark(
    request: Request, session: SessionDep, user: AdminUser, pair_id: PathId
) -> Response:
    await _fields(request, set())
    controls.unmark(session, admin=user, pair_id=pair_id)
    return hx_redirect(request, "/review/admin/controls")
