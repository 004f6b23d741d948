"""Server-side browser sessions: a signed random id in an HttpOnly cookie, rotated at sign-in.

Over HTTPS the cookies carry the `__Host-` prefix: the browser then accepts them only when set by this
host over a secure connection with `Path=/` and no `Domain`, so a sibling subdomain or a plain-http port
cannot plant (toss) a session or CSRF cookie; unprefixed cookies are ignored there.
"""

from __future__ import annotations

import functools
import secrets
from datetime import timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, delete, select
from sqlmodel import Session, col

from app.auth.models import User, WebSession
from app.config import get_settings
from app.models_base import utcnow

SESSION_COOKIE = "pw_session"
CSRF_COOKIE = "pw_csrf"
HOST_PREFIX = "__Host-"


def _signer() -> URLSafeSerializer:
    return _serializer(get_settings().resolved_secret_key(), "pairwise.session")


def _csrf_signer() -> URLSafeSerializer:
    return _serializer(get_settings().resolved_secret_key(), "pairwise.csrf")


@functools.lru_cache(maxsize=8)
def _serializer(secret_key: str, salt: str) -> URLSafeSerializer:
    """One serializer per key and salt (every request verifies its cookie; a new key makes a new one)."""
    return URLSafeSerializer(secret_key, salt=salt)


def _secure(request: Request) -> bool:
    return get_settings().https or request.url.scheme == "https"


def cookie_name(request: Request, base: str) -> str:
    """`__Host-pw_session` over HTTPS, `pw_session` over plain http (where the prefix is refused)."""
    return HOST_PREFIX + base if _secure(request) else base


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
        cookie_name(request, SESSION_COOKIE),
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
    """The signed-in CSRF cookie; the server checks against the session row, never against this cookie."""
    response.set_cookie(
        cookie_name(request, CSRF_COOKIE),
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def anonymous_csrf(request: Request) -> str:
    """The pre-login CSRF token: valid only inside a cookie this server signed, "" otherwise.

    A cookie value an attacker made up (or tossed from another origin) does not verify, so a sign-in form
    cannot be forged by planting a known token first.
    """
    raw = request.cookies.get(cookie_name(request, CSRF_COOKIE))
    if not raw:
        return ""
    try:
        value = _csrf_signer().loads(raw)
    except BadSignature:
        return ""
    return value if isinstance(value, str) else ""


def set_anonymous_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        cookie_name(request, CSRF_COOKIE),
        _csrf_signer().dumps(token),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def read_session_id(request: Request) -> str | None:
    raw = request.cookies.get(cookie_name(request, SESSION_COOKIE))
    if not raw:
        return None
    try:
        value = _signer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


# A session with its user, built once (every request asks): bound session_id.
_SESSION_USER = (
    select(WebSession, User)
    .join(User, col(User.id) == WebSession.user_id)
    .where(col(WebSession.id) == bindparam("session_id"))
)


def warm_up(session: Session) -> None:
    """Run the sign-in check's statement once, matching no session (a web process's start-up)."""
    session.execute(_SESSION_USER, {"session_id": ""}).all()


def load_session(session: Session, *, request: Request) -> tuple[WebSession, User] | None:
    """The live session and its active user, or None."""
    session_id = read_session_id(request)
    if session_id is None:
        return None
    row = session.execute(_SESSION_USER, {"session_id": session_id}).first()
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
    secure = _secure(request)
    response.delete_cookie(cookie_name(request, SESSION_COOKIE), path="/", secure=secure, httponly=True)
    response.delete_cookie(cookie_name(request, CSRF_COOKIE), path="/", secure=secure, httponly=True)
