"""The front door: everyone signed in lands in the review queue (admins reach the dashboard from its nav)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.deps import CurrentUser
from app.web import hx_redirect

router = APIRouter()


@router.get("/", include_in_schema=False)
def home(request: Request, user: CurrentUser) -> Response:
    return hx_redirect(request, "/review")
