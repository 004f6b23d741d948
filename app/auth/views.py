"""Sign-in and sign-out pages, and the user's own API tokens."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.deps import CurrentUser, OptionalUser
from app.auth.passwords import verify_password
from app.auth.service import get_by_username
from app.auth.sessions import anonymous_csrf, end_session, set_anonymous_csrf, start_session
from app.auth.throttle import clear_failures, reserve_attempt
from app.auth.tokens import create_token, list_tokens, revoke_token
from app.db import SessionDep, session_scope
from app.params import PathId
from app.web import hx_redirect, render

router = APIRouter()

LOGIN_FAILED = "Wrong user name or password."
THROTTLED = "Too many failed sign-ins. Wait a few minutes and try again."


def safe_next(value: str | None) -> str:
    """Only local absolute paths; `//host`, `/\\host` and full URLs go home."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return "/"
    return value


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return hx_redirect(request, safe_next(next))
    token = anonymous_csrf(request) or secrets.token_urlsafe(32)
    request.state.csrf_token = token
    response = render(request, "auth/login.html", {"next": safe_next(next), "error": None})
    set_anonymous_csrf(request, response, token)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    _user: OptionalUser,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    ip = request.client.host if request.client else "unknown"
    target = safe_next(next)
    # The attempt is counted (and committed) before the password is checked, in one short transaction of
    # its own: concurrent guesses each take a distinct count, and hashing never holds the write lock.
    with session_scope() as counter:
        allowed = reserve_attempt(counter, username=username, ip=ip)
    with session_scope(read_only=True) as reader:
        user = get_by_username(reader, username=username) if allowed else None
    if not allowed:
        return render(
            request,
            "auth/login.html",
            {"next": target, "error": THROTTLED, "username": username},
            status_code=429,
        )
    # Always hash: an unknown name must cost as much as a wrong password (no user enumeration by timing).
    verified = verify_password(user.password_hash if user is not None else None, password)
    if user is None or not user.is_active or not verified:
        return render(
            request,
            "auth/login.html",
            {"next": target, "error": LOGIN_FAILED, "username": username},
            status_code=401,
        )
    clear_failures(session, username=username)
    response = hx_redirect(request, target)
    start_session(session, user=user, request=request, response=response)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, _user: CurrentUser) -> Response:
    response = hx_redirect(request, "/login")
    end_session(session, request=request, response=response)
    return response


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return render(request, "auth/tokens.html", {"tokens": list_tokens(session, user=user), "new_token": None})


@router.post("/account/tokens", response_class=HTMLResponse)
def tokens_create(
    request: Request, session: SessionDep, user: CurrentUser, name: Annotated[str, Form(max_length=100)]
) -> Response:
    _, plain = create_token(session, user=user, name=name)
    return render(
        request, "auth/tokens.html", {"tokens": list_tokens(session, user=user), "new_token": plain}
    )


@router.post("/account/tokens/{token_id}/revoke")
def tokens_revoke(request: Request, session: SessionDep, user: CurrentUser, token_id: PathId) -> Response:
    revoke_token(session, user=user, token_id=token_id)
    return hx_redirect(request, "/account/tokens")
