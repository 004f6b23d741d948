"""S13: request bodies are capped per route before anything parses them; uploads keep their own limit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Engine

from app.body_limits import SMALL_BODY_BYTES
from tests.web_helpers import client, login_page_token, make_user, post_form, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")

GB = 1024 * 1024 * 1024


def _call(
    app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: int, size: int
) -> tuple[int, int]:
    """Drive the ASGI app with a body of `chunks` x `size` bytes; (status, chunks the server pulled)."""
    pulled = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"a" * size, "more_body": pulled < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": headers, "client": ("1.2.3.4", 5), "server": ("testserver", 80), "scheme": "http",
             "http_version": "1.1", "root_path": ""}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return status, pulled


def test_an_anonymous_1gb_login_post_is_refused_before_reading(engine: Engine) -> None:
    from app.main import create_app

    headers = [(b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", str(GB).encode())]
    status, pulled = _call(create_app(), "POST", "/login", headers, chunks=GB // 65536, size=65536)
    assert status == 413
    assert pulled == 0


def test_a_chunked_login_body_stops_at_the_limit(engine: Engine) -> None:
    from app.main import create_app

    headers = [(b"content-type", b"application/x-www-form-urlencoded"), (b"transfer-encoding", b"chunked")]
    status, pulled = _call(create_app(), "POST", "/login", headers, chunks=16384, size=65536)
    assert status == 413
    assert pulled * 65536 <= SMALL_BODY_BYTES + 65536


def test_300_one_mb_form_fields_are_refused(engine: Engine) -> None:
    from app.main import create_app

    headers = [(b"content-type", b"application/x-www-form-urlencoded"), (b"transfer-encoding", b"chunked")]
    status, pulled = _call(create_app(), "POST", "/review/1/judge", headers, chunks=300, size=1024 * 1024)
    assert status == 413
    assert pulled <= 3  # the default limit is 2 MB


def test_the_413_says_what_happened(engine: Engine) -> None:
    c = client()
    token = login_page_token(c)
    response = c.post(
        "/login", data={"username": "x" * SMALL_BODY_BYTES, "password": "p", "csrf_token": token}
    )
    assert response.status_code == 413
    assert "larger than this page accepts (16 KB)" in response.text
    api = c.post("/api/v1/review/next", content=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                 headers={"content-type": "application/json"})  # fmt: skip
    assert api.status_code == 413
    assert "larger than this page accepts (2 MB)" in api.json()["detail"]


def test_a_normal_sign_in_and_form_still_work(engine: Engine) -> None:
    make_user(engine, "rev")
    c = signed_in("rev")
    assert post_form(c, "/logout").status_code in (303, 204)


def test_the_limit_follows_the_setting(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import get_settings
    from app.main import create_app

    monkeypatch.setenv("PAIRWISE_MAX_BODY_KB", "64")
    get_settings.cache_clear()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(65 * 1024).encode())]
    assert _call(create_app(), "POST", "/api/v1/review/next", headers, chunks=1, size=65 * 1024)[0] == 413


def test_uploads_keep_their_own_larger_limit() -> None:
    from app.body_limits import body_limit

    # The middleware lets /admin/imports through to LimitedUploadRoute:

    assert body_limit("POST", "/admin/imports") is None
    assert body_limit("POST", "/login") == SMALL_BODY_BYTES


def test_upload_paths_are_exactly_the_streamed_upload_routes(engine: Engine) -> None:
    """UPLOAD_PATHS names routes by path: it must follow the upload route wherever the app mounts it."""
    from app.body_limits import UPLOAD_PATHS
    from app.main import create_app
    from app.uploads import LimitedUploadRoute

    uploads = set()
    for route in create_app().routes:
        for context in route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else []:
            if isinstance(context.original_route, LimitedUploadRoute) and "POST" in context.methods:
                uploads.add(context.path)
    assert uploads, "no streamed upload route found"
    assert uploads <= UPLOAD_PATHS
    assert {path.rstrip("/") for path in UPLOAD_PATHS} == uploads
