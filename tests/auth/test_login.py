"""Sign-in, cookies, session rotation, sign-out and `?next=` (S14, S15, S16)."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Literal

import httpx2
import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from app.auth.models import LoginThrottle, WebSession
from app.auth.service import set_active, set_password
from app.auth.sessions import SESSION_COOKIE, _signer
from app.auth.views import LOGIN_FAILED
from app.db import session_scope
from tests.web_helpers import (
    PASSWORD,
    client,
    count,
    csrf,
    get_user,
    login,
    login_page_token,
    make_user,
    post_form,
    signed_in,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _set_cookies(response: httpx2.Response) -> dict[str, SimpleCookie]:
    cookies: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name in parsed:
            cookies[name] = parsed
    return cookies


def _cookie(c: TestClient, name: str) -> str:
    value = c.cookies.get(name)
    assert value is not None, f"no {name} cookie"
    return value


def _error_text(html: str) -> str:
    match = re.search(r'<p class="error" role="alert">(.*?)</p>', html)
    assert match, "no error message on the page"
    return match.group(1)


class TestLoginForm:
    def test_form_has_username_password_csrf_and_next(self, engine: Engine) -> None:
        c = client()
        html = c.get("/login?next=/review/history").text
        assert re.search(r'<input name="username"[^>]*required', html)
        assert re.search(r'<input name="password" type="password"', html)
        assert re.search(r'name="csrf_token" value="[^"]{20,}"', html)
        assert '<input type="hidden" name="next" value="/review/history">' in html

    def test_right_password_signs_in_and_redirects_home(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client()
        response = login(c, "alice")
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        assert count(engine, WebSession) == 1
        assert c.get("/review").status_code == 200

    def test_username_is_case_sensitive_exact_match(self, engine: Engine) -> None:
        make_user(engine, "alice")
        response = login(client(), "ALICE")
        assert response.status_code == 401

    def test_wrong_password_is_401_with_the_generic_message(self, engine: Engine) -> None:
        make_user(engine, "alice")
        response = login(client(), "alice", "wrong password!!")
        assert response.status_code == 401
        assert _error_text(response.text) == LOGIN_FAILED
        assert count(engine, WebSession) == 0

    def test_unknown_user_gets_exactly_the_same_message(self, engine: Engine) -> None:
        make_user(engine, "alice")
        wrong = login(client(), "alice", "wrong password!!")
        unknown = login(client(), "nobody", "wrong password!!")
        assert unknown.status_code == wrong.status_code == 401
        assert _error_text(unknown.text) == _error_text(wrong.text) == "Wrong user name or password."

    def test_disabled_user_gets_the_same_message_even_with_the_right_password(self, engine: Engine) -> None:
        make_user(engine, "alice")
        with session_scope(engine) as session:
            set_active(session, user=get_user(session, "alice"), active=False)
        response = login(client(), "alice")
        assert response.status_code == 401
        assert _error_text(response.text) == LOGIN_FAILED

    def test_missing_fields_are_422(self, engine: Engine) -> None:
        c = client()
        token = login_page_token(c)
        assert c.post("/login", data={"csrf_token": token, "username": "alice"}).status_code == 422
        assert c.post("/login", data={"csrf_token": token, "password": "x" * 12}).status_code == 422

    def test_login_without_csrf_token_is_refused(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client()
        c.get("/login")
        response = c.post("/login", data={"username": "alice", "password": PASSWORD})
        assert response.status_code == 403
        assert count(engine, WebSession) == 0

    def test_signed_in_user_visiting_login_is_sent_on(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        response = c.get("/login?next=/review/history")
        assert response.status_code == 303
        assert response.headers["location"] == "/review/history"

    def test_unknown_user_costs_a_password_check_too(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """S14: an unknown name costs one full Argon2id verification, like a wrong password (no enumeration).

        Counted, not timed: each sign-in attempt must run exactly one verification against a hash made with the
        app's real parameters, whether or not the user exists."""
        from argon2 import PasswordHasher

        from app.auth import passwords

        verified: list[str] = []

        class CountingHasher(PasswordHasher):
            def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
                verified.append(hash if isinstance(hash, str) else hash.decode())
                return super().verify(hash, password)

        real = passwords._hasher
        monkeypatch.setattr(passwords, "_hasher", CountingHasher.from_parameters(real._parameters))
        make_user(engine, "known")
        c = client()
        for username in ("known", "ghost"):
            token = login_page_token(c)
            response = c.post(
                "/login", data={"username": username, "password": "wrong password!!", "csrf_token": token}
            )
            assert response.status_code == 401
        assert len(verified) == 2
        assert not real.check_needs_rehash(verified[1]), "the stand-in hash must use the real parameters"
        assert verified[1] == passwords.dummy_hash()


class TestCookies:
    def test_session_and_csrf_cookies_are_httponly_lax_and_not_secure_over_http(self, engine: Engine) -> None:
        make_user(engine, "alice")
        cookies = _set_cookies(login(client(), "alice"))
        for name in ("pw_session", "pw_csrf"):
            morsel = cookies[name][name]
            assert morsel["httponly"] is True, name
            assert morsel["samesite"] == "lax", name
            assert morsel["path"] == "/", name
            assert morsel["secure"] == "", name

    def test_cookies_are_secure_and_host_prefixed_over_https(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client(https=True)
        cookies = _set_cookies(login(c, "alice"))
        assert "pw_session" not in cookies
        assert "pw_csrf" not in cookies
        for name in ("__Host-pw_session", "__Host-pw_csrf"):
            assert cookies[name][name]["secure"] is True, name
            assert cookies[name][name]["httponly"] is True, name
            assert cookies[name][name]["path"] == "/", name
            assert cookies[name][name]["domain"] == "", name

    def test_cookies_are_secure_when_pairwise_https_is_set(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.config import get_settings

        monkeypatch.setenv("PAIRWISE_HTTPS", "true")
        get_settings.cache_clear()
        make_user(engine, "alice")
        c = client()
        page = c.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match is not None
        token = match.group(1)
        signed = _set_cookies(page)["__Host-pw_csrf"]["__Host-pw_csrf"].value
        # The Secure cookie is not sent back over http by the client; a proxy terminating TLS would.
        response = c.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token},
                          headers={"Cookie": f"__Host-pw_csrf={signed}"})  # fmt: skip
        assert response.status_code == 303
        cookies = _set_cookies(response)
        assert cookies["__Host-pw_session"]["__Host-pw_session"]["secure"] is True
        assert cookies["__Host-pw_csrf"]["__Host-pw_csrf"]["secure"] is True

    def test_session_cookie_carries_only_a_signed_random_id(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        raw = _cookie(c, SESSION_COOKIE)
        session_id = _signer().loads(raw)
        with session_scope(engine, read_only=True) as session:
            row = session.get(WebSession, session_id)
            assert row is not None
            assert row.user_id == get_user(session, "alice").id
        assert "alice" not in raw


class TestSessionRotation:
    def test_a_planted_session_id_is_not_reused(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client()
        planted = "attacker-chosen-session-id"
        c.cookies.set(SESSION_COOKIE, _signer().dumps(planted), domain="testserver.local")
        assert login(c, "alice").status_code == 303
        new_id = _signer().loads(_cookie(c, SESSION_COOKIE))
        assert new_id != planted
        with session_scope(engine, read_only=True) as session:
            assert [s.id for s in session.execute(select(WebSession)).scalars()] == [new_id]

    def test_signing_in_again_replaces_the_previous_session(self, engine: Engine) -> None:
        make_user(engine, "alice")
        make_user(engine, "bob")
        c = signed_in("alice")
        before = _signer().loads(_cookie(c, SESSION_COOKIE))
        response = c.post("/login", data={"username": "bob", "password": PASSWORD, "csrf_token": csrf(c)})
        assert response.status_code == 303
        after = _signer().loads(_cookie(c, SESSION_COOKIE))
        assert after != before
        with session_scope(engine, read_only=True) as session:
            assert session.get(WebSession, before) is None
            assert session.get_one(WebSession, after).user_id == get_user(session, "bob").id

    def test_csrf_token_changes_at_sign_in(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client()
        anonymous_token = login_page_token(c)
        assert login(c, "alice").status_code == 303
        assert c.cookies.get("pw_csrf") != anonymous_token


class TestSignOut:
    def test_sign_out_ends_the_session_and_the_old_cookie_no_longer_works(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        old = _cookie(c, SESSION_COOKIE)
        response = post_form(c, "/logout")
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert count(engine, WebSession) == 0
        replay = client()
        replay.cookies.set(SESSION_COOKIE, old)
        response = replay.get("/review")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/review"

    def test_sign_out_clears_the_cookies(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        response = post_form(c, "/logout")
        cookies = _set_cookies(response)
        assert cookies["pw_session"]["pw_session"].value == ""
        assert cookies["pw_csrf"]["pw_csrf"].value == ""

    def test_htmx_sign_out_answers_with_hx_redirect(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        response = post_form(c, "/logout", htmx=True)
        assert response.status_code == 204
        assert response.headers["hx-redirect"] == "/login"

    def test_get_logout_does_nothing(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        assert c.get("/logout").status_code == 405
        assert count(engine, WebSession) == 1

    def test_other_sessions_of_the_user_survive_one_sign_out(self, engine: Engine) -> None:
        make_user(engine, "alice")
        laptop, phone = signed_in("alice"), signed_in("alice")
        post_form(laptop, "/logout")
        assert phone.get("/review").status_code == 200


class TestAccountChangesEndSessions:
    def test_password_change_ends_every_session(self, engine: Engine) -> None:
        make_user(engine, "alice")
        laptop, phone = signed_in("alice"), signed_in("alice")
        with session_scope(engine) as session:
            set_password(session, user=get_user(session, "alice"), password="a new password 123")
        for c in (laptop, phone):
            response = c.get("/review")
            assert response.status_code == 303
            assert response.headers["location"] == "/login?next=/review"
        assert count(engine, WebSession) == 0
        assert login(client(), "alice").status_code == 401
        assert login(client(), "alice", "a new password 123").status_code == 303

    def test_disabling_ends_sessions_and_refuses_tokens(self, engine: Engine) -> None:
        from tests.web_helpers import bearer, make_token

        make_user(engine, "alice")
        c = signed_in("alice")
        token = make_token(engine, "alice")
        with session_scope(engine) as session:
            set_active(session, user=get_user(session, "alice"), active=False)
        assert c.get("/review").status_code == 303
        assert count(engine, WebSession) == 0
        assert client().get("/api/v1/pairs", headers=bearer(token)).status_code == 401

    def test_cli_set_password_and_disable(self, engine: Engine) -> None:
        from typer.testing import CliRunner

        from app.cli import cli

        make_user(engine, "alice")
        c = signed_in("alice")
        result = CliRunner().invoke(cli, ["users", "set-password", "alice", "--password-stdin"],
                                    input="brand new password\n")  # fmt: skip
        assert result.exit_code == 0, result.output
        assert c.get("/review").status_code == 303
        c = signed_in_with(engine, "alice", "brand new password")
        result = CliRunner().invoke(cli, ["users", "disable", "alice"])
        assert result.exit_code == 0, result.output
        assert c.get("/review").status_code == 303
        assert login(client(), "alice", "brand new password").status_code == 401


def signed_in_with(engine: Engine, username: str, password: str) -> TestClient:
    c = client()
    assert login(c, username, password).status_code == 303
    return c


class TestThrottle:
    @pytest.fixture(autouse=True)
    def _three_attempts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.config import get_settings

        monkeypatch.setenv("PAIRWISE_LOGIN_MAX_ATTEMPTS", "3")
        get_settings.cache_clear()

    def test_per_user_even_with_the_right_password(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client()
        for _ in range(3):
            assert login(c, "alice", "wrong password!!").status_code == 401
        response = login(c, "alice")
        assert response.status_code == 429
        assert _error_text(response.text) == "Too many failed sign-ins. Wait a few minutes and try again."
        assert count(engine, WebSession) == 0

    def test_per_user_across_addresses(self, engine: Engine) -> None:
        make_user(engine, "alice")
        attacker = client(ip="203.0.113.5")
        for _ in range(3):
            login(attacker, "alice", "wrong password!!")
        assert login(client(ip="198.51.100.7"), "alice").status_code == 429

    def test_unknown_and_known_users_are_throttled_with_the_same_message(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client()
        for name in ("alice", "nobody"):
            for _ in range(3):
                login(c, name, "wrong password!!")
        known, unknown = login(c, "alice", "wrong password!!"), login(c, "nobody", "wrong password!!")
        assert known.status_code == unknown.status_code == 429
        assert _error_text(known.text) == _error_text(unknown.text)

    def test_per_address_over_many_names(self, engine: Engine) -> None:
        make_user(engine, "alice")
        sprayer = client(ip="203.0.113.9")
        for i in range(12):  # 4 x the per-user limit
            assert login(sprayer, f"alice{i}", "wrong password!!").status_code == 401
        assert login(sprayer, "alice").status_code == 429
        assert login(client(ip="198.51.100.1"), "alice").status_code == 303

    def test_attempts_are_counted_per_name_and_address(self, engine: Engine) -> None:
        c = client(ip="192.0.2.44")
        login(c, "Mallory", "wrong password!!")
        login(c, "mallory", "wrong password!!")
        with session_scope(engine, read_only=True) as session:
            rows = list(session.execute(select(LoginThrottle).order_by(LoginThrottle.key)).scalars())
        assert [(r.key, r.attempts) for r in rows] == [("ip:192.0.2.44", 2), ("user:mallory", 2)]

    def test_success_clears_the_users_failures(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client()
        for _ in range(2):
            login(c, "alice", "wrong password!!")
        assert login(c, "alice").status_code == 303
        c = client()
        for _ in range(2):
            login(c, "alice", "wrong password!!")
        assert login(c, "alice").status_code == 303


class TestNextRedirect:
    @pytest.mark.parametrize(
        "target",
        [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "http://evil.com/review",
            "//evil.com/%2F..",
            "/\t/evil.com",
            "javascript:alert(1)",
            "evil.com",
            "\\\\evil.com",
            "/review\\..\\evil",
        ],
    )
    def test_foreign_targets_go_home(self, engine: Engine, target: str) -> None:
        make_user(engine, "alice")
        response = login(client(), "alice", next=target)
        assert response.status_code == 303
        assert response.headers["location"] == "/"

    @pytest.mark.parametrize("target", ["/review/history", "/review?x=1&y=2", "/admin/patterns"])
    def test_local_paths_are_kept(self, engine: Engine, target: str) -> None:
        make_user(engine, "alice")
        response = login(client(), "alice", next=target)
        assert response.headers["location"] == target

    @pytest.mark.parametrize("target", ["//evil.com", "/\\evil.com", "https://evil.com"])
    def test_login_page_never_echoes_a_foreign_next(self, engine: Engine, target: str) -> None:
        html = client().get("/login", params={"next": target}).text
        assert '<input type="hidden" name="next" value="/">' in html
        assert "evil.com" not in html

    def test_anonymous_page_visit_round_trips_through_login(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = client()
        response = c.get("/review/history")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/review/history"
        response = login(c, "alice", next="/review/history")
        assert response.headers["location"] == "/review/history"


class TestNoSelfSignUp:
    def test_no_signup_route_exists(self, engine: Engine) -> None:
        from tests.web_helpers import app_routes

        paths = {path for _, path in app_routes()}
        # Admins create users under /admin/users (admin-only, checked by the route matrix); nothing else may.
        public = [p for p in paths if not p.startswith("/admin/")]
        assert not [p for p in public if re.search(r"sign.?up|register|join|users", p, re.IGNORECASE)]

    @pytest.mark.parametrize("path", ["/signup", "/register", "/users", "/account", "/api/v1/users"])
    def test_signup_like_posts_are_not_found(self, engine: Engine, path: str) -> None:
        c = client()
        token = login_page_token(c)
        response = c.post(path, data={"username": "eve", "password": PASSWORD, "csrf_token": token})
        assert response.status_code in (404, 405)
        assert count(engine, WebSession) == 0

    def test_failed_login_never_creates_a_user(self, engine: Engine) -> None:
        from app.auth.models import User

        login(client(), "newcomer", PASSWORD)
        assert count(engine, User) == 0

    def test_login_page_tells_admins_create_accounts(self, engine: Engine) -> None:
        assert "Accounts are created by an admin" in client().get("/login").text
