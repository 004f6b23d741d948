"""Helpers and fixtures of the admin page tests: signed-in clients, seeded rows, multipart bodies, captured jobs."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy import Engine
from starlette.testclient import TestClient

from app.db import session_scope
from app.review.models import Judgment
from tests.web_helpers import add_pair, fast_hash, login, make_user

BOUNDARY = "pairwise-test-boundary"


def make_client() -> TestClient:
    """A client of the whole app."""
    from app.main import create_app

    return TestClient(create_app(), base_url="http://testserver", follow_redirects=False)


def admin_routes() -> set[tuple[str, str]]:
    """(method, path) of every route of the domains' admin pages (app.main.ADMIN_ROUTERS), and nothing else."""
    from fastapi import FastAPI

    from app.main import ADMIN_ROUTERS
    from tests.web_helpers import app_routes

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    for router in ADMIN_ROUTERS:
        app.include_router(router)
    return set(app_routes(app))


def sign_in(engine: Engine, username: str, role: str) -> TestClient:
    make_user(engine, username, role=role)
    c = make_client()
    response = login(c, username)
    assert response.status_code == 303, response.text
    return c


def csrf_of(c: TestClient) -> str:
    token = c.cookies.get("pw_csrf")
    assert token
    return token


def post(c: TestClient, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    """A plain form post with the session's CSRF field, as a browser sends it."""
    return c.post(url, data={**(data or {}), "csrf_token": csrf_of(c)}, **kw)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def one(node: Tag, selector: str) -> Tag:
    """The element `selector` matches first under `node`; the test fails if there is none."""
    element = node.select_one(selector)
    assert element is not None, f"nothing matches {selector!r}"
    return element


def attr(tag: Tag, name: str) -> str:
    """A single-valued attribute of `tag` (bs4 gives multi-valued ones, such as class, as lists)."""
    value = tag[name]
    assert isinstance(value, str), f"{name}= on <{tag.name}> is multi-valued: {value!r}"
    return value


def ids_in(html: str, selector: str = "tr[data-id]") -> list[int]:
    return [int(attr(tr, "data-id")) for tr in soup(html).select(selector)]


def ids_on_every_page(c: TestClient, url: str) -> list[int]:
    """The row ids of a list page and of every page its `rel=next` links lead to, in order."""
    seen: list[int] = []
    while url:
        page = soup(c.get(url).text)
        seen += [int(attr(tr, "data-id")) for tr in page.select("tr[data-id]")]
        link = page.select_one("a[rel=next]")
        url = attr(link, "href") if link else ""
    return seen


def multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body built byte by byte: (field, filename or None, content)."""
    out = bytearray()
    for name, filename, content in parts:
        out += f"--{BOUNDARY}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode("utf-8", "surrogateescape")
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + content + b"\r\n"
    out += f"--{BOUNDARY}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={BOUNDARY}"


def upload(c: TestClient, parts: list[tuple[str, str | None, bytes]], *, htmx: bool = True, **kw: Any) -> Any:
    """POST /admin/imports as htmx does (CSRF header) or, with htmx=False, as a plain form (CSRF field)."""
    if not htmx:
        parts = [*parts, ("csrf_token", None, csrf_of(c).encode())]
    body, ctype = multipart(parts)
    headers = {"Content-Type": ctype, **kw.pop("headers", {})}
    if htmx:
        headers.update({"HX-Request": "true", "X-CSRF-Token": csrf_of(c)})
    return c.post("/admin/imports", content=body, headers=headers, **kw)


def job_id_of(response: Any) -> int:
    location = response.headers.get("hx-redirect") or response.headers.get("location") or ""
    match = re.fullmatch(r"/admin/jobs/(\d+)", location)
    assert match, f"no job redirect: {response.status_code} {location!r} {response.text[:200]}"
    return int(match.group(1))


def judge(
    engine: Engine,
    *,
    pair_id: int,
    reviewer_id: int,
    verdict: str,
    first: list[str] | None = None,
    second: list[str] | None = None,
    seconds: float | None = None,
    at: datetime | None = None,
    **extra: Any,
) -> int:
    """A judgment row written directly, with full control of its time and numbers."""
    with session_scope(engine) as session:
        judgment = Judgment(
            pair_id=pair_id, reviewer_id=reviewer_id, verdict=verdict, left_side="first",
            patterns_first=first or [], patterns_second=second or [], seconds_spent=seconds, **extra,
        )  # fmt: skip
        if at is not None:
            judgment.created_at = judgment.updated_at = at
        session.add(judgment)
        session.flush()
        assert judgment.id is not None
        return judgment.id


def pairs(engine: Engine, n: int, **kw: Any) -> list[int]:
    with session_scope(engine) as session:
        return [add_pair(session, **kw).id or 0 for _ in range(n)]


def text_of(response: Any) -> str:
    """The visible text of an HTML response (entities decoded)."""
    return soup(response.text).get_text(" ")


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Job ids handed to the queue; tests run them with `app.jobs.runner.execute` instead of a worker."""
    ids: list[int] = []
    monkeypatch.setattr("app.jobs.service.enqueue", ids.append)
    return ids


@pytest.fixture
def admin(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr("app.auth.service.hash_password", fast_hash)
    return sign_in(engine, "adm", "admin")


@pytest.fixture
def reviewer(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr("app.auth.service.hash_password", fast_hash)
    return sign_in(engine, "rev", "reviewer")


@pytest.fixture
def anonymous(engine: Engine) -> TestClient:
    return make_client()
