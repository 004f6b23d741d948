"""Server-side browser sessions: a signed random id in an HttpOnly cookie, rotated at sign-in."""

from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.auth.models import User, WebSession
from app.config import get_settings
from app.models_base import utcnow

SESSION_COOKIE = "pw_session"
CSRF_COOKIE = "pw_csrf"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().resolved_secret_key(), salt="pairwise.session")


def _secure(request: Request) -> bool:
    return get_settings().https or request.url.scheme == "https"


def start_session(session: Session, *, user: User, request: Request, response: Response) -> WebSession:
    """A new session id for every sign-in, so a planted id is never promoted (fixation)."""
    old = read_session_id(request)
    if old:
        session.execute(delete(WebSession).where(col(WebSession.id) == old))
    settings = get_settings()
    web_session = WebSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id or 0,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(days=settings.session_days),
    )
    session.add(web_session)
    response.set_cookie(
        SESSION_COOKIE,
        _signer().dumps(web_session.id),
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    set_csrf_cookie(request, response, web_session.csrf_token)
    return web_session


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request), path="/")


def read_session_id(request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        value = _signer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def load_session(session: Session, *, request: Request) -> tuple[WebSession, User] | None:
    """The live session and its active user, or None."""
    session_id = read_session_id(request)
    if session_id is None:
        return None
    row = session.execute(
        select(WebSession, User)
        .join(User, col(User.id) == WebSession.user_id)
        .where(col(WebSession.id) == session_id)
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.expires_at <= utcnow() or not user.is_active:
        return None
    return web_session, user


def end_session(session: Session, *, request: Request, response: Response) -> None:
    session_id = read_session_id(request)
    if session_id:
        session.execute(delete(WebSession).where(col(WebSession.id) == session_id))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
