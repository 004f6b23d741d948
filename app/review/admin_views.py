"""Admin pages of the review domain: guidelines, agreement between reviewers, adjudication of conflicts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.deps import AdminUser
from app.db import SessionDep
from app.errors import ValidationFailedError
from app.patterns.service import list_patterns
from app.review.adjudication import adjudicate, case, conflicts, count_conflicts
from app.review.guidelines import Guidelines, get_guidelines, save_guidelines
from app.review.models import Verdict
from app.review.quality import review_quality
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
        {"quality": review_quality(session), "conflicts": count_conflicts(session)},
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
    unknown = sorted(set(form.keys()) - {"csrf_token", "verdict", "note"})
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    raw = str(form.get("verdict") or "")
    if raw not in {v.value for v in Verdict}:
        raise ValidationFailedError("verdict: choose first, second, tie or not_a_pair")
    note = str(form.get("note") or "")
    if len(note) > 2000:
        raise ValidationFailedError("note: longer than 2,000 characters")
    adjudicate(session, admin=user, pair_id=pair_id, verdict=Verdict(raw), note=note)
    return hx_redirect(request, "/review/admin/adjudication")
