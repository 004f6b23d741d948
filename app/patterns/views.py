"""The taxonomy page: admins edit patterns; every save is a new taxonomy version."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, select

from app.auth.deps import AdminUser
from app.db import SessionDep
from app.errors import ValidationFailedError
from app.patterns.models import TaxonomyVersion
from app.patterns.service import PatternInput, current_version_id, list_patterns, save_taxonomy
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/patterns")

MAX_PATTERNS = 40


@router.get("", response_class=HTMLResponse)
def patterns_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    versions = list(session.exec(select(TaxonomyVersion).order_by(col(TaxonomyVersion.id).desc()).limit(10)))
    return render(
        request,
        "patterns/page.html",
        {
            "patterns": list_patterns(session),
            "version_id": current_version_id(session),
            "versions": versions,
        },
    )


@router.post("")
async def patterns_save(request: Request, session: SessionDep, user: AdminUser) -> Response:
    """Rows arrive as parallel lists (slug[], name[], ...); a row with an empty slug is ignored."""
    form = await request.form()
    allowed = {"csrf_token", "slug", "name", "description", "hotkey", "active"}
    unknown = sorted(set(form.keys()) - allowed)
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    slugs = [str(v).strip() for v in form.getlist("slug")]
    names = [str(v).strip() for v in form.getlist("name")]
    descriptions = [str(v).strip() for v in form.getlist("description")]
    hotkeys = [str(v).strip() for v in form.getlist("hotkey")]
    active = {str(v) for v in form.getlist("active")}
    if not (len(slugs) == len(names) == len(descriptions) == len(hotkeys)):
        raise ValidationFailedError("every pattern row needs slug, name, description and hotkey")
    existing = {p.slug for p in list_patterns(session)}
    patterns = [
        PatternInput(
            slug=slug,
            name=name,
            description=description,
            hotkey=hotkey,
            position=i,
            is_active=slug in active or slug not in existing,
        )
        for i, (slug, name, description, hotkey) in enumerate(
            zip(slugs, names, descriptions, hotkeys, strict=True)
        )
        if slug
    ]
    if len(patterns) > MAX_PATTERNS:
        raise ValidationFailedError(f"at most {MAX_PATTERNS} patterns")
    save_taxonomy(session, patterns=patterns, user_id=user.id)
    return hx_redirect(request, "/admin/patterns")
