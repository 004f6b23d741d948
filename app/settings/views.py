"""Run-time settings (detection threshold, overlap, lease minutes) and re-running detection."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.auth.deps import AdminUser
from app.db import SessionDep
from app.jobs.service import start_job
from app.listing import QueryModel
from app.settings.service import audit, get_value, set_value
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/settings")

KEYS = ("detection_threshold", "overlap", "lease_minutes")


class SettingsForm(BaseModel):
    """Raw text of each field, so every mistake can be explained in words on the page."""

    model_config = ConfigDict(extra="forbid")
    csrf_token: str | None = None
    detection_threshold: str = Field(default="", max_length=40)
    overlap: str = Field(default="", max_length=40)
    lease_minutes: str = Field(default="", max_length=40)


class NoticeQuery(QueryModel):
    notice: Literal["saved"] | None = None


def _threshold(raw: str) -> float | str:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= 1:
        return "Detection threshold must be a number from 0 to 1, for example 0.5."
    return value


def _whole(raw: str, low: int, high: int, message: str) -> int | str:
    try:
        value = int(raw.strip())
    except ValueError:
        return message
    return value if low <= value <= high else message


def parse(form: SettingsForm) -> tuple[dict[str, Any], dict[str, str]]:
    """(valid values, error per field) for the submitted form."""
    results = {
        "detection_threshold": _threshold(form.detection_threshold.strip()),
        "overlap": _whole(form.overlap, 1, 10, "Overlap must be a whole number of reviewers from 1 to 10."),
        "lease_minutes": _whole(
            form.lease_minutes, 1, 240, "Lease must be a whole number of minutes from 1 to 240."
        ),
    }
    errors = {k: v for k, v in results.items() if isinstance(v, str)}
    return {k: v for k, v in results.items() if k not in errors}, errors


def _page(
    request: Request, session: Session, *, values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None, notice: str | None = None,
) -> Response:  # fmt: skip
    current = {key: get_value(session, key=key) for key in KEYS}
    context = {"values": values or current, "errors": errors or {}, "notice": notice}
    return render(request, "settings/page.html", context, status_code=422 if errors else 200)


@router.get("", response_class=HTMLResponse)
def settings_page(
    request: Request, session: SessionDep, user: AdminUser, q: Annotated[NoticeQuery, Query()]
) -> Response:
    return _page(request, session, notice="The settings were saved." if q.notice else None)


@router.post("", response_class=HTMLResponse)
def save(
    request: Request, session: SessionDep, user: AdminUser, form: Annotated[SettingsForm, Form()]
) -> Response:
    values, errors = parse(form)
    if errors:
        submitted = {key: getattr(form, key) for key in KEYS}
        return _page(request, session, values=submitted, errors=errors)
    changed = {}
    for key, value in values.items():
        if get_value(session, key=key) != value:
            set_value(session, key=key, value=value)
            changed[key] = value
    if changed:
        audit(
            session,
            user_id=user.id,
            action="settings.update",
            object_type="settings",
            object_id="runtime",
            **changed,
        )
    return hx_redirect(request, "/admin/settings?notice=saved")


@router.post("/redetect")
def redetect(request: Request, session: SessionDep, user: AdminUser, background: BackgroundTasks) -> Response:
    """Queue a detection job over every conversation; its page shows the progress."""
    job = start_job(session, background, kind="detect", payload={}, user_id=user.id)
    audit(session, user_id=user.id, action="detect.start", object_type="job", object_id=job.id)
    return hx_redirect(request, f"/admin/jobs/{job.id}")
