"""Request body limits per route, enforced before anything parses a body (S13).

An anonymous 1 GB POST to /login must not be read, spooled to disk or parsed into form fields: a body whose
Content-Length passes the route's limit is refused at once with 413, and a chunked body is read (up to the
limit, never more) before the app sees it and refused as soon as it passes. The upload route keeps its own, larger limit
(PAIRWISE_MAX_UPLOAD_MB, see app/uploads.py and app/conversations/import_views.py).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings

# Sign-in and sign-out carry a user name, a password and a CSRF token: a few hundred bytes.
SMALL_BODY_PATHS = frozenset({"/login", "/logout"})
SMALL_BODY_BYTES = 16 * 1024
# Routes that stream uploads to disk under their own limit.
UPLOAD_PATHS = frozenset({"/admin/imports", "/admin/imports/"})


def body_limit(method: str, path: str) -> int | None:
    """The most bytes a request to this route may send; None where the route enforces its own limit."""
    if method == "POST" and path in UPLOAD_PATHS:
        return None
    if path in SMALL_BODY_PATHS:
        return SMALL_BODY_BYTES
    return get_settings().max_body_kb * 1024


def too_large_message(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return (
        f"The request body is larger than this page accepts ({size}). Send less, or use an upload or import."
    )


class BodyLimitMiddleware:
    """Refuse over-limit bodies with 413 before the app reads them (per route, see `body_limit`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["method"], scope["path"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            # The server frames the body by Content-Length, so a declared size within the limit is the size.
            if declared < 0 or declared > limit:
                await _refuse(scope, send, limit)
                return
            await self.app(scope, receive, send)
            return
        # A chunked body: read it (at most `limit` bytes) before the app sees any of it, then hand it over.
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await _refuse(scope, send, limit)
                return
            messages.append(message)
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def receive_buffered() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, receive_buffered, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    message = too_large_message(limit)
    if scope["path"].startswith("/api/"):
        body, kind = orjson.dumps({"detail": message}), b"application/json"
    else:
        body, kind = message.encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
