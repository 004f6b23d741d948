"""Who is asking: session cookie or bearer token, CSRF checks, and the role aliases routes use."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app.auth.models import Role, User
from app.auth.sessions import anonymous_csrf, load_session
from app.auth.tokens import user_for_token
from app.db import session_scope
from app.errors import CsrfError, NotAuthenticatedError, PermissionDeniedError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


API_PREFIX = "/api/v1/"


def _bearer(request: Request) -> str | None:
    """The bearer token of an /api/v1 call; elsewhere a token is no credential (pages need a session + CSRF)."""
    if not request.url.path.startswith(API_PREFIX):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _identify(request: Request) -> tuple[User | None, str]:
    """Read the caller in a short read-only transaction of its own.

    On SQLite, write requests take the write lock at their first statement; keeping identification out of
    the request's unit of work means the lock is taken only when the route itself starts working.
    """
    token = _bearer(request)
    # Either branch reads with one statement (session joined with its user, or token with its user).
    with session_scope(read_only=True, one_statement=True) as session:
        if token is not None:
            user = user_for_token(session, token=token)
            if user is None:
                raise NotAuthenticatedError("invalid or revoked API token")
            return user, ""
        loaded = load_session(session, request=request)
    if loaded is None:
        return None, anonymous_csrf(request)
    return loaded[1], loaded[0].csrf_token


async def resolve_user(request: Request) -> User | None:
    """Identify the caller once per request and check CSRF for cookie-authenticated writes."""
    user, expected = await run_in_threadpool(_identify, request)
    if _bearer(request) is not None:
        request.state.user = user
        request.state.via_token = True
        return user
    request.state.user = user
    request.state.csrf_token = expected
    # An anonymous API call has no cookie to forge; it gets 401 from require_user, not a CSRF refusal.
    if request.method not in SAFE_METHODS and not (user is None and request.url.path.startswith("/api/")):
        await _check_csrf(request, expected)
    return user


async def _check_csrf(request: Request, expected: str) -> None:
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not expected or not supplied or not hmac.compare_digest(expected, supplied):
        raise CsrfError("This form has expired or was not sent by Pairwise. Reload the page and try again.")


OptionalUser = Annotated[User | None, Depends(resolve_user)]


# The role checks are async: they only look at the user resolve_user found, and a sync dependency would cost
# a hop to the thread pool and back on every request.
async def require_user(user: OptionalUser) -> User:
    if user is None:
        raise NotAuthenticatedError("sign in to continue")
    return user


CurrentUser = Annotated[User, Depends(require_user)]


async def require_admin(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise PermissionDeniedError("only admins can do this")
    return user


AdminUser = Annotated[User, Depends(require_admin)]
