"""Admin page of the suggestion provider: the endpoint (URL, model, key) and a job that asks it for rewrites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.assist.jobs import DEFAULT_LIMIT
from app.assist.provider import ProviderNotConfiguredError, provider_view, save_provider
from app.auth.deps import AdminUser
from app.db import SessionDep
from app.errors import PairwiseError
from app.jobs.service import create_job, enqueue
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/suggestions")


def _page(request: Request, session: Session, *, error: str | None = None, form: dict[str, str] | None = None,
          status_code: int = 200) -> HTMLResponse:  # fmt: skip
    view = provider_view(session)
    values = form or {"base_url": view.base_url if view else "", "model": view.model if view else ""}
    context = {"provider": view, "error": error, "values": values, "default_limit": DEFAULT_LIMIT}
    return render(request, "assist/settings.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return _page(request, session)


@router.post("/provider")
def save(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    base_url: Annotated[str, Form(max_length=500)],
    model: Annotated[str, Form(max_length=200)],
    api_key: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Save the endpoint; the key is never sent back, so an error returns the form with URL and model only."""
    try:
        save_provider(session, base_url=base_url, model=model, api_key=api_key, user_id=user.id)
    except PairwiseError as exc:
        return _page(request, session, error=str(exc), form={"base_url": base_url, "model": model},
                     status_code=exc.status_code)  # fmt: skip
    return hx_redirect(request, "/admin/suggestions")


@router.post("/run")
def run(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    background: BackgroundTasks,
    limit: Annotated[int, Form(ge=1, le=10_000)] = DEFAULT_LIMIT,
) -> Response:
    """Ask the provider for standalone rewrites of up to `limit` leaky pairs (a job)."""
    if provider_view(session) is None:
        raise ProviderNotConfiguredError("save a suggestion provider first")
    job = create_job(session, kind="suggest", payload={"limit": limit}, user_id=user.id)
    background.add_task(enqueue, job.id or 0)
    return hx_redirect(request, f"/admin/jobs/{job.id}")
