"""Issue 15, sign-in and tokens: what an attacker tried and what now holds.

Bearer tokens belong to /api/v1 only (no pages, no admin actions, no minting tokens); a password reset or
disabling revokes them; the pre-login CSRF token is bound to a cookie the server signed and, over HTTPS, the
cookies are `__Host-` prefixed so a tossed cookie is ignored; user names are whole-string validated and unique
ignoring case.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.auth.models import ApiToken, User, WebSession
from app.auth.service import create_user, set_active, set_password
from app.db import session_scope
from app.errors import ConflictError, ValidationFailedError
from tests.web_helpers import (
    PASSWORD,
    bearer,
    client,
    count,
    get_user,
    login_page_token,
    make_token,
    make_user,
    post_form,
    signed_in,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _api_ok(token: str) -> int:
    return client().get("/api/v1/pairs", headers=bearer(token)).status_code


class TestTokensBelongToTheApi:
    def test_a_token_is_no_credential_on_pages(self, engine: Engine) -> None:
        make_user(engine, "adm", role="admin")
        token = make_token(engine, "adm")
        for path in ("/account/tokens", "/admin/users", "/review"):
            response = client().get(path, headers=bearer(token))
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")

    def test_a_token_cannot_mint_tokens(self, engine: Engine) -> None:
        make_user(engine, "rev")
        token = make_token(engine, "rev")
        response = client().post("/account/tokens", data={"name": "child"}, headers=bearer(token))
        assert response.status_code == 403
        assert count(engine, ApiToken) == 1

    def test_an_admin_token_cannot_take_admin_actions_on_pages(self, engine: Engine) -> None:
        make_user(engine, "adm", role="admin")
        token = make_token(engine, "adm")
        response = client().post(
            "/admin/users",
            data={"username": "mallory", "password": PASSWORD, "role": "admin"},
            headers=bearer(token),
        )
        assert response.status_code == 403
        assert count(engine, User) == 1

    def test_a_token_still_works_on_the_api(self, engine: Engine) -> None:
        make_user(engine, "rev")
        assert _api_ok(make_token(engine, "rev")) == 200


class TestTokensEndWithTheAccount:
    def test_admin_password_reset_revokes_the_users_tokens(self, engine: Engine) -> None:
        make_user(engine, "adm", role="admin")
        rev_id = make_user(engine, "rev")
        token = make_token(engine, "rev")
        admin = signed_in("adm")
        response = post_form(admin, f"/admin/users/{rev_id}/password", {"password": "a brand new password"})
        assert response.status_code == 303, response.text
        assert _api_ok(token) == 401
        assert count(engine, ApiToken, col(ApiToken.revoked_at).is_(None)) == 0

    def test_admin_disable_revokes_and_enable_does_not_restore(self, engine: Engine) -> None:
        make_user(engine, "adm", role="admin")
        rev_id = make_user(engine, "rev")
        token = make_token(engine, "rev")
        admin = signed_in("adm")
        assert post_form(admin, f"/admin/users/{rev_id}/active", {"active": "false"}).status_code == 303
        assert post_form(admin, f"/admin/users/{rev_id}/active", {"active": "true"}).status_code == 303
        assert _api_ok(token) == 401

    @pytest.mark.parametrize("change", ["password", "disable"])
    def test_service_changes_revoke_every_token(self, engine: Engine, change: str) -> None:
        make_user(engine, "rev")
        make_user(engine, "other")
        tokens = [make_token(engine, "rev", name=f"t{i}") for i in range(3)]
        kept = make_token(engine, "other")
        with session_scope(engine) as session:
            user = get_user(session, "rev")
            if change == "password":
                set_password(session, user=user, password="a brand new password")
            else:
                set_active(session, user=user, active=False)
        assert [_api_ok(t) for t in tokens] == [401, 401, 401]
        assert _api_ok(kept) == 200


class TestLoginCsrf:
    def test_a_made_up_csrf_cookie_is_refused(self, engine: Engine) -> None:
        """Cookie tossing: the attacker plants `pw_csrf=known` and posts `csrf_token=known` with their login."""
        make_user(engine, "mallory")
        victim = client()
        victim.cookies.set("pw_csrf", "attacker-known-value")
        response = victim.post(
            "/login", data={"username": "mallory", "password": PASSWORD, "csrf_token": "attacker-known-value"}
        )
        assert response.status_code == 403
        assert count(engine, WebSession) == 0

    def test_over_https_an_unprefixed_cookie_is_ignored(self, engine: Engine) -> None:
        """A cookie set by a plain-http port (no `__Host-` prefix) is not read over HTTPS."""
        make_user(engine, "mallory")
        attacker = client()
        token = login_page_token(attacker)
        signed = attacker.cookies.get("pw_csrf")
        assert signed is not None
        victim = client(https=True)
        victim.cookies.set("pw_csrf", signed)
        response = victim.post(
            "/login", data={"username": "mallory", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 403
        assert count(engine, WebSession) == 0

    def test_the_csrf_token_after_sign_in_is_the_sessions(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        with session_scope(engine, read_only=True) as session:
            row = session.execute(select(WebSession)).scalar_one()
        assert c.cookies.get("pw_csrf") == row.csrf_token
        # A value the attacker knows (as if tossed into the cookie jar) is not the session's token.
        assert c.post("/logout", data={"csrf_token": "tossed"}).status_code == 403
        assert count(engine, WebSession) == 1


class TestUsernames:
    @pytest.mark.parametrize("name", ["admin\n", "admin\r\n", "ad\nmin", " admin", "admin "])
    def test_names_are_validated_whole(self, engine: Engine, name: str) -> None:
        with session_scope(engine) as session, pytest.raises(ValidationFailedError):
            create_user(session, username=name, password=PASSWORD, role="admin")
        assert count(engine, User) == 0

    def test_names_differing_only_in_case_are_one_name(self, engine: Engine) -> None:
        make_user(engine, "alice")
        with session_scope(engine) as session, pytest.raises(ConflictError):
            create_user(session, username="Alice", password=PASSWORD, role="reviewer")
        assert count(engine, User) == 1

    def test_the_database_refuses_a_case_twin(self, engine: Engine) -> None:
        """The unique index on lower(username) holds even for writers that skip the service."""
        make_user(engine, "alice")
        with pytest.raises(IntegrityError), session_scope(engine) as session:
            session.execute(
                text(
                    'INSERT INTO "user" (username, password_hash, role, is_active, created_at, password_changed_at) '
                    "SELECT 'ALICE', password_hash, role, is_active, created_at, password_changed_at "
                    "FROM \"user\" WHERE username = 'alice'"
                )
            )
        assert count(engine, User) == 1

    def test_admin_page_refuses_a_case_twin(self, engine: Engine) -> None:
        make_user(engine, "adm", role="admin")
        admin = signed_in("adm")
        post_form(admin, "/admin/users", {"username": "ADM", "password": PASSWORD, "role": "admin"})
        assert count(engine, User) == 1
