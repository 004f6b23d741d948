"""Every admin route: anonymous callers go to sign-in, reviewers get 403, writes need the CSRF token."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.page_helpers import admin_routes, csrf_of, make_client, multipart, sign_in
from tests.web_helpers import app_routes

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")

# (method, route path) -> a concrete URL of it; ids need not exist: access is checked before lookups.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/admin"): "/admin",
    ("GET", "/admin/imports/new"): "/admin/imports/new",
    ("GET", "/admin/imports"): "/admin/imports",
    ("GET", "/admin/imports/{batch_id}"): "/admin/imports/1",
    ("POST", "/admin/imports"): "/admin/imports",
    ("GET", "/admin/jobs/{job_id}"): "/admin/jobs/1",
    ("GET", "/admin/jobs/{job_id}/status"): "/admin/jobs/1/status",
    ("POST", "/admin/jobs/{job_id}/retry"): "/admin/jobs/1/retry",
    ("GET", "/admin/conversations"): "/admin/conversations",
    ("GET", "/admin/conversations/{conversation_id}"): "/admin/conversations/1",
    ("GET", "/admin/pairs"): "/admin/pairs",
    ("GET", "/admin/pairs/{pair_id}"): "/admin/pairs/1",
    ("GET", "/admin/users"): "/admin/users",
    ("POST", "/admin/users"): "/admin/users",
    ("POST", "/admin/users/{user_id}/active"): "/admin/users/1/active",
    ("POST", "/admin/users/{user_id}/password"): "/admin/users/1/password",
    ("POST", "/admin/users/{user_id}/role"): "/admin/users/1/role",
    ("GET", "/admin/settings"): "/admin/settings",
    ("POST", "/admin/settings"): "/admin/settings",
    ("POST", "/admin/settings/redetect"): "/admin/settings/redetect",
}


def call(c: TestClient, method: str, url: str, *, token: str | None) -> int:
    if method == "GET":
        return c.get(url).status_code
    if url == "/admin/imports":
        body, ctype = multipart([("files", "a.jsonl", b"{}")])
        headers = {"Content-Type": ctype, **({"X-CSRF-Token": token} if token else {})}
        return c.post(url, content=body, headers=headers).status_code
    data = {"csrf_token": token} if token else {}
    return c.post(url, data=data).status_code


def test_the_table_covers_every_admin_route() -> None:
    assert admin_routes() == set(ROUTES)
    assert set(ROUTES) <= set(app_routes(make_client().app))


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_anonymous_is_sent_to_sign_in(engine: Engine, method: str, path: str) -> None:
    c = make_client()
    c.get("/login")
    url = ROUTES[(method, path)]
    response_status = call(c, method, url, token=c.cookies.get("pw_csrf"))
    assert response_status == 303
    if method == "GET":
        assert c.get(url).headers["location"] == f"/login?next={quote(url, safe='/')}"


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_reviewer_gets_403(engine: Engine, method: str, path: str) -> None:
    c = sign_in(engine, "rev", "reviewer")
    assert call(c, method, ROUTES[(method, path)], token=csrf_of(c)) == 403


@pytest.mark.parametrize(("method", "path"), sorted(k for k in ROUTES if k[0] == "POST"))
def test_admin_write_without_csrf_gets_403(engine: Engine, method: str, path: str) -> None:
    c = sign_in(engine, "adm", "admin")
    assert call(c, method, ROUTES[(method, path)], token=None) == 403
