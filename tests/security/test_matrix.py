"""S7: route x method x role. Every route of the app is in the table of tests/security/routes.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.dependencies.models import Dependant
from sqlalchemy import Engine

from tests.security.routes import MISSING, ROUTES, Rule, World, order, send
from tests.web_helpers import app_routes, bearer, client, csrf, login_page_token, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")

ROLES = ("anonymous", "reviewer", "admin", "reviewer_token", "admin_token")
USER_OF = {
    "anonymous": "rev",
    "reviewer": "rev",
    "admin": "adm",
    "reviewer_token": "rev",
    "admin_token": "adm",
}
# Routes that take input but accept any value of it (a foreign `next` is replaced, not refused).
ANY_INPUT_OK = {("GET", "/login")}


def _inputs(dependant: Dependant) -> tuple[list[object], list[object]]:
    """(path params, all input params) of a route and its dependencies."""
    path: list[object] = list(dependant.path_params)
    every = path + list(dependant.query_params) + list(dependant.body_params)
    for sub in dependant.dependencies:
        sub_path, sub_every = _inputs(sub)
        path += sub_path
        every += sub_every
    return path, every


def _route_contexts() -> list[tuple[str, str, Dependant]]:
    from app.main import create_app

    out: list[tuple[str, str, Dependant]] = []
    for route in create_app().routes:
        # FastAPI's route contexts are of a private type; both kinds are read by duck typing below.
        contexts: list[Any] = (
            list(route.effective_route_contexts()) if hasattr(route, "effective_route_contexts") else [route]
        )
        for context in contexts:
            for method in sorted(getattr(context, "methods", None) or []):
                if method != "HEAD" and getattr(context, "dependant", None) is not None:
                    out.append((method, context.path, context.dependant))
    return out


class TestRouteTable:
    def test_every_route_of_the_app_has_an_expectation(self, engine: Engine) -> None:
        actual = set(app_routes())
        assert sorted(actual - set(ROUTES)) == [], "new routes: add them to tests/security/routes.py"
        assert sorted(set(ROUTES) - actual) == [], "routes in the table that the app no longer has"

    def test_routes_with_ids_have_a_not_found_case(self, engine: Engine) -> None:
        missing = [
            (m, p) for m, p, d in _route_contexts() if _inputs(d)[0] and ROUTES[(m, p)].not_found is None
        ]
        assert missing == []

    def test_routes_that_take_input_have_bad_input_cases(self, engine: Engine) -> None:
        missing = []
        for method, path, dependant in _route_contexts():
            if (
                _inputs(dependant)[1]
                and not ROUTES[(method, path)].invalid
                and (method, path) not in ANY_INPUT_OK
            ):
                missing.append((method, path))
        assert missing == []


def _expected(rule: Rule, role: str, method: str) -> int:
    if role.endswith("_token") and rule.kind == "page":
        # A bearer token is no credential outside /api/v1: pages see an anonymous caller without a CSRF cookie.
        if method not in ("GET", "HEAD"):
            return 403
        return rule.ok if rule.access == "public" else 303
    if role == "anonymous":
        if rule.access == "public":
            return rule.ok
        return 303 if rule.kind == "page" else 401
    if rule.access == "admin" and role.startswith("reviewer"):
        return 403
    if rule.access == "public" and rule.ok_signed_in is not None:
        return rule.ok_signed_in
    return rule.ok


class TestAccessMatrix:
    @pytest.mark.parametrize("role", ROLES)
    def test_every_route_answers_as_the_role_allows(self, engine: Engine, role: str) -> None:
        world = World.build(engine)
        username = USER_OF[role]
        if role == "anonymous":
            c, token, headers = client(), None, {}
            token = login_page_token(c)  # the pw_csrf cookie, so the answer is about access, not CSRF
        elif role.endswith("_token"):
            c, token, headers = client(), None, bearer(world.tokens[username])
        else:
            c = signed_in(username)
            token, headers = csrf(c), {}
        failures = []
        for key in sorted(ROUTES, key=order):
            rule = ROUTES[key]
            call = rule.valid(world, username)
            response = send(c, call, csrf=token, headers=headers)
            want = _expected(rule, role, call.method)
            where = f"{key[0]} {key[1]} ({call.method} {call.url})"
            if response.status_code != want:
                failures.append(f"{where}: {response.status_code} != {want}: {response.text[:150]}")
                continue
            if role == "anonymous" and want == 303:
                target = response.request.url.path + (f"?{response.request.url.query}" if call.params else "")
                location = "/login?next=" + quote(target, safe="/")
                if response.headers.get("location") != location:
                    failures.append(f"{where}: Location {response.headers.get('location')!r} != {location!r}")
            if (
                want in (401, 403)
                and rule.kind == "api"
                and "json" not in response.headers.get("content-type", "")
            ):
                failures.append(f"{where}: {want} is not JSON")
        assert failures == []

    @pytest.mark.parametrize("path", ["/api/v1/review/next", f"/api/v1/pairs/{MISSING}/judgments"])
    def test_anonymous_api_writes_without_any_cookie_are_401(self, engine: Engine, path: str) -> None:
        """A script with no token and no cookies is unauthenticated (401), not a CSRF failure (403)."""
        response = client().post(path, json={"verdict": "tie"})
        assert response.status_code == 401, response.text
        assert response.json() == {"detail": "sign in to continue"}

    def test_anonymous_htmx_request_is_redirected_with_hx_redirect(self, engine: Engine) -> None:
        response = client().get("/review/history", headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response.headers["hx-redirect"] == "/login?next=/review/history"

    def test_reviewer_token_cannot_reach_admin_pages(self, engine: Engine) -> None:
        world = World.build(engine)
        before = world.taxonomy_form()
        response = client().post("/admin/patterns", data={**before, "name": ["hacked"] * len(before["name"])},
                                 headers=bearer(world.tokens["rev"]))  # fmt: skip
        assert response.status_code == 403
        assert world.taxonomy_form() == before


class TestNotFound:
    @pytest.mark.parametrize("key", sorted(k for k, r in ROUTES.items() if r.not_found), ids=" ".join)
    def test_unknown_ids_are_404(self, engine: Engine, key: tuple[str, str]) -> None:
        world = World.build(engine) if key[0] != "MOUNT" else None
        rule = ROUTES[key]
        username = "adm" if rule.access == "admin" else "rev"
        c = signed_in(username) if world else client()
        assert rule.not_found is not None
        # MOUNT rules have no World (None here); their makers do not read it.
        response = send(c, rule.not_found(world, username), csrf=csrf(c) if world else None)  # type: ignore[arg-type]
        assert response.status_code == 404, response.text[:300]

    def test_unknown_page_is_an_html_404(self, engine: Engine) -> None:
        response = client().get("/no/such/page")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "There is nothing at this address." in response.text

    def test_unknown_api_path_is_a_json_404(self, engine: Engine) -> None:
        response = client().get("/api/v1/nothing")
        assert response.status_code == 404
        assert response.json() == {"detail": "There is nothing at this address."}


class TestBadInput:
    @pytest.mark.parametrize("key", sorted(k for k, r in ROUTES.items() if r.invalid), ids=" ".join)
    def test_bad_input_is_422(self, engine: Engine, key: tuple[str, str]) -> None:
        world = World.build(engine)
        rule = ROUTES[key]
        username = "adm" if rule.access == "admin" else "rev"
        if rule.access == "public":
            c = client()
            token = login_page_token(c)
        else:
            c = signed_in(username)
            token = csrf(c)
        failures = []
        for make in rule.invalid:
            call = make(world, username)
            response = send(c, call, csrf=token)
            if response.status_code != 422:
                failures.append(f"{call}: {response.status_code} {response.text[:200]}")
        assert failures == []


class TestOtherReviewersData:
    def test_other_reviewers_judgments_are_404_not_403(self, engine: Engine) -> None:
        world = World.build(engine)
        theirs = world.judgment("rev2")
        c = signed_in("rev")
        shown = c.get(f"/review/judgments/{theirs}")
        assert shown.status_code == 404
        assert f"judgment {theirs} does not exist" in shown.text
        edited = c.post(
            f"/review/judgments/{theirs}", data={"version": "1", "comment": "mine now", "csrf_token": csrf(c)}
        )
        assert edited.status_code == 404

    def test_admins_do_not_see_reviewers_judgment_pages_either(self, engine: Engine) -> None:
        world = World.build(engine)
        theirs = world.judgment("rev2")
        assert signed_in("adm").get(f"/review/judgments/{theirs}").status_code == 404

    def test_a_pair_leased_to_someone_else_is_not_in_my_queue(self, engine: Engine) -> None:
        world = World.build(engine)
        theirs = world.lease("rev2")
        c = signed_in("rev")
        token = csrf(c)
        assert (
            c.post(f"/review/{theirs}/judge", data={"verdict": "tie", "csrf_token": token}).status_code == 404
        )
        assert c.post(f"/review/{theirs}/skip", data={"csrf_token": token}).status_code == 404
        assert c.get(f"/review/{theirs}/diff").status_code == 404

    def test_history_lists_only_my_judgments(self, engine: Engine) -> None:
        world = World.build(engine)
        theirs = world.judgment("rev2")
        mine = world.judgment("rev")
        html = signed_in("rev").get("/review/history").text
        assert f'href="/review/judgments/{mine}"' in html
        assert f'href="/review/judgments/{theirs}"' not in html
