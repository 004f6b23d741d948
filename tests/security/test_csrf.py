"""S6: every state-changing route refuses a missing or wrong CSRF token; GET never changes state."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from app.review.models import Assignment
from tests.security.routes import ROUTES, Call, World, order
from tests.web_helpers import client, count, csrf, login_page_token, signed_in, snapshot

pytestmark = pytest.mark.usefixtures("fast_passwords")

WRITES = sorted((k for k in ROUTES if k[0] in ("POST", "PUT", "PATCH", "DELETE")), key=order)
READS = sorted((k for k in ROUTES if k[0] == "GET"), key=order)
FORGED = "forged-token-0123456789abcdefghijklmnopqrstuvwxyz"


def _user_for(key: tuple[str, str]) -> str | None:
    rule = ROUTES[key]
    return None if rule.access == "public" else ("adm" if rule.access == "admin" else "rev")


def _variants(call: Call, other_token: str) -> dict[str, dict[str, Any]]:
    """Ways a cross-site request could arrive: no token, a wrong field, a wrong htmx header, another's token."""
    form = dict(call.form or {})
    data: dict[str, object] = (
        {"data": form} if call.form is not None else ({"json": call.json} if call.json is not None else {})
    )
    if call.files is not None:
        data["files"] = call.files
    variants: dict[str, dict[str, Any]] = {
        "no token (form)": {"data": form} if call.json is None else data,
        "wrong form field": {"data": {**form, "csrf_token": FORGED}} if call.json is None else data,
        "wrong htmx header": {**data, "headers": {"HX-Request": "true", "X-CSRF-Token": FORGED}},
        "empty header": {**data, "headers": {"X-CSRF-Token": ""}},
        "another session's token": {**data, "headers": {"X-CSRF-Token": other_token}},
    }
    if call.files is not None:
        for kwargs in variants.values():
            kwargs["files"] = call.files
    return variants


class TestCsrfRefused:
    @pytest.mark.parametrize("key", WRITES, ids=" ".join)
    def test_missing_or_wrong_token_is_403_and_changes_nothing(
        self, engine: Engine, key: tuple[str, str]
    ) -> None:
        world = World.build(engine)
        username = _user_for(key)
        if username is None:
            c = client()
            login_page_token(c)
        else:
            c = signed_in(username)
        other_token = csrf(signed_in("rev2"))
        call = ROUTES[key].valid(world, username or "rev")
        before = snapshot(engine)
        failures = []
        for name, kwargs in _variants(call, other_token).items():
            response = c.request(call.method, call.url, **kwargs)
            if response.status_code != 403:
                failures.append(f"{name}: {response.status_code}")
            elif "This form has expired or was not sent by Pairwise" not in response.text:
                failures.append(f"{name}: 403 without the CSRF message")
        assert failures == []
        assert snapshot(engine) == before

    @pytest.mark.parametrize("key", WRITES, ids=" ".join)
    def test_the_right_token_passes(self, engine: Engine, key: tuple[str, str]) -> None:
        """The control: the same call with the session's token is not refused for CSRF."""
        world = World.build(engine)
        username = _user_for(key)
        c = client() if username is None else signed_in(username)
        token = login_page_token(c) if username is None else csrf(c)
        call = ROUTES[key].valid(world, username or "rev")
        form = {**(call.form or {}), "csrf_token": token}
        response = (c.request(call.method, call.url, json=call.json, headers={"X-CSRF-Token": token})
                    if call.json is not None else c.request(call.method, call.url, data=form, files=call.files))  # fmt: skip
        assert response.status_code == ROUTES[key].ok, response.text[:300]

    def test_htmx_csrf_failure_is_a_toast(self, engine: Engine) -> None:
        World.build(engine)
        c = signed_in("rev")
        response = c.post("/review/next", headers={"HX-Request": "true", "X-CSRF-Token": FORGED})
        assert response.status_code == 403
        assert response.headers["hx-retarget"] == "#toasts"
        assert '<div class="toast error" role="alert">' in response.text

    def test_a_cross_site_form_post_with_the_victims_cookie_does_nothing(self, engine: Engine) -> None:
        """An attacker page posts the victim's browser to /account/tokens: the cookie rides along, no token."""
        from app.auth.models import ApiToken

        World.build(engine)
        victim = signed_in("rev")
        before = count(engine, ApiToken)
        response = victim.post(
            "/account/tokens", data={"name": "attacker"}, headers={"Origin": "https://evil.example"}
        )
        assert response.status_code == 403
        assert count(engine, ApiToken) == before


class TestGetNeverChangesState:
    @pytest.mark.parametrize("username", ["rev", "adm"])
    def test_every_get_route_leaves_the_database_as_it_was(self, engine: Engine, username: str) -> None:
        world = World.build(engine)
        c = signed_in(username)
        calls = [ROUTES[k].valid(world, username) for k in READS]  # prepares leases and judgments first
        before = snapshot(engine)
        statuses = {}
        for call in calls:
            statuses[call.url] = c.get(call.url, params=call.params).status_code
            c.get(call.url, params=call.params, headers={"HX-Request": "true"})
        assert snapshot(engine) == before
        assert 500 not in statuses.values(), statuses

    def test_get_review_does_not_lease_a_pair(self, engine: Engine) -> None:
        World.build(engine)
        c = signed_in("rev")
        response = c.get("/review")
        assert response.status_code == 200
        assert 'hx-post="/review/next" hx-trigger="load"' in response.text
        assert count(engine, Assignment) == 0

    def test_get_review_shows_the_held_pair_without_a_new_lease(self, engine: Engine) -> None:
        world = World.build(engine)
        pair_id = world.lease("rev")
        c = signed_in("rev")
        before = snapshot(engine)
        response = c.get("/review")
        assert f'data-pair-id="{pair_id}"' in response.text
        assert snapshot(engine) == before

    def test_head_requests_do_not_change_state(self, engine: Engine) -> None:
        World.build(engine)
        c = signed_in("rev")
        before = snapshot(engine)
        c.head("/review")
        c.head("/review/history")
        assert snapshot(engine) == before
