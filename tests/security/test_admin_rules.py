"""The admin entries offered to the S7 route table hold: admin ok/404/422, reviewer 403, anonymous 303."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from tests.page_helpers import admin_routes, make_client
from tests.security.admin_rules import admin_rules
from tests.security.routes import World
from tests.web_helpers import bearer, csrf, login, login_page_token

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")


@dataclass
class Call:
    method: str
    url: str
    form: dict[str, Any] | None = None
    json: Any = None
    params: dict[str, Any] | None = None
    files: list[Any] | None = None


@dataclass
class Rule:
    access: str
    kind: str
    ok: int
    valid: Any
    not_found: Any = None
    invalid: list[Any] = field(default_factory=list)


RULES: dict[tuple[str, str], Rule] = admin_rules(Rule, Call)


def send(c: TestClient, call: Call, *, token: str | None, headers: dict[str, str] | None = None) -> Any:
    h = dict(headers or {})
    if token is not None and call.method != "GET":
        h["X-CSRF-Token"] = token
    return c.request(call.method, call.url, headers=h, params=call.params, data=call.form, files=call.files)


def signed_in(username: str) -> TestClient:
    c = make_client()
    assert login(c, username).status_code == 303
    return c


def test_every_admin_route_has_an_entry() -> None:
    assert admin_routes() == set(RULES)


def test_admin_gets_ok_404_and_422(engine: Engine) -> None:
    world = World.build(engine)
    c = signed_in("adm")
    failures = []
    for key, rule in RULES.items():
        checks = [(rule.valid, rule.ok)] + ([(rule.not_found, 404)] if rule.not_found else [])
        checks += [(make, 422) for make in rule.invalid]
        for make, want in checks:
            call = make(world, "adm")
            response = send(c, call, token=csrf(c))
            if response.status_code != want:
                failures.append(f"{key} {call.url} {call.form}: {response.status_code} != {want}")
    assert failures == []


def test_admin_api_token_gets_ok(engine: Engine) -> None:
    world = World.build(engine)
    c = make_client()
    failures = [
        f"{key}: {status}"
        for key, rule in RULES.items()
        if (
            status := send(
                c, rule.valid(world, "adm"), token=None, headers=bearer(world.tokens["adm"])
            ).status_code
        )
        != rule.ok
    ]
    assert failures == []


@pytest.mark.parametrize("role", ["reviewer", "reviewer_token", "anonymous"])
def test_others_are_refused(engine: Engine, role: str) -> None:
    world = World.build(engine)
    headers: dict[str, str] = {}
    if role == "reviewer":
        c = signed_in("rev")
        token: str | None = csrf(c)
    elif role == "reviewer_token":
        c, token, headers = make_client(), None, bearer(world.tokens["rev"])
    else:
        c = make_client()
        token = login_page_token(c)
    failures = []
    for key, rule in RULES.items():
        call = rule.valid(world, "rev")
        response = send(c, call, token=token, headers=headers)
        want = 303 if role == "anonymous" else 403
        if response.status_code != want:
            failures.append(f"{key}: {response.status_code} != {want}")
        elif role == "anonymous" and call.method == "GET":
            assert response.headers["location"] == f"/login?next={quote(response.request.url.path, safe='/')}"
    assert failures == []
