"""API tokens: created for oneself, shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col
from starlette.testclient import TestClient

from app.auth.models import ApiToken
from app.db import session_scope
from tests.web_helpers import (
    bearer,
    client,
    count,
    get_user,
    make_token,
    make_user,
    post_form,
    signed_in,
    snapshot,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")
TOKEN_RE = re.compile(r'<pre class="token" id="new-token">(pw_[A-Za-z0-9_-]+)</pre>')


def _create(c: TestClient, name: str = "nightly export") -> str:
    response = post_form(c, "/account/tokens", {"name": name})
    assert response.status_code == 200, response.text
    match = TOKEN_RE.search(response.text)
    assert match, "the new token is not shown"
    return match.group(1)


class TestCreateToken:
    def test_token_is_shown_once(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        plain = _create(c)
        assert len(plain) >= 40
        page = c.get("/account/tokens").text
        assert plain not in page
        assert f"<code>{plain[:10]}…</code>" in page
        assert "nightly export" in page

    def test_only_the_sha256_is_stored(self, engine: Engine) -> None:
        make_user(engine, "alice")
        plain = _create(signed_in("alice"))
        with session_scope(engine, read_only=True) as session:
            row = session.execute(select(ApiToken)).scalar_one()
        assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
        assert row.prefix == plain[:10]
        dump = repr(snapshot(engine))
        assert plain not in dump
        assert plain[10:] not in dump

    def test_token_belongs_to_the_creator(self, engine: Engine) -> None:
        make_user(engine, "alice")
        plain = _create(signed_in("alice"))
        with session_scope(engine, read_only=True) as session:
            row = session.execute(select(ApiToken)).scalar_one()
            assert row.user_id == get_user(session, "alice").id
        assert client().get("/api/v1/pairs", headers=bearer(plain)).status_code == 200

    def test_owner_fields_cannot_be_mass_assigned(self, engine: Engine) -> None:
        alice = make_user(engine, "alice")
        bob = make_user(engine, "bob", role="admin")
        c = signed_in("alice")
        response = post_form(c, "/account/tokens", {"name": "x", "user_id": str(bob), "role": "admin"})
        assert response.status_code == 200
        with session_scope(engine, read_only=True) as session:
            assert [t.user_id for t in session.execute(select(ApiToken)).scalars()] == [alice]

    @pytest.mark.parametrize("name", ["", "   ", "x" * 101])
    def test_bad_names_are_422(self, engine: Engine, name: str) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        assert post_form(c, "/account/tokens", {"name": name}).status_code == 422
        assert count(engine, ApiToken) == 0

    def test_other_users_tokens_are_not_listed(self, engine: Engine) -> None:
        make_user(engine, "alice")
        make_user(engine, "bob")
        make_token(engine, "bob", name="bobs secret token")
        assert "bobs secret token" not in signed_in("alice").get("/account/tokens").text


class TestUseAndRevoke:
    def test_bearer_token_authenticates_the_api(self, engine: Engine) -> None:
        make_user(engine, "alice")
        token = make_token(engine, "alice")
        assert client().get("/api/v1/pairs", headers=bearer(token)).json() == {
            "items": [],
            "next_after": None,
        }

    @pytest.mark.parametrize(
        "header", ["Bearer pw_not-a-real-token", "Bearer ", "Basic YWxpY2U6eA==", "pw_x"]
    )
    def test_bad_tokens_are_401(self, engine: Engine, header: str) -> None:
        response = client().get("/api/v1/pairs", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/json")

    def test_revoked_token_is_refused(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        plain = _create(c, "ci-token-1")
        with session_scope(engine, read_only=True) as session:
            token_id = session.execute(select(col(ApiToken.id))).scalar_one()
        response = post_form(c, f"/account/tokens/{token_id}/revoke")
        assert response.status_code == 303
        assert response.headers["location"] == "/account/tokens"
        response = client().get("/api/v1/pairs", headers=bearer(plain))
        assert response.status_code == 401
        assert response.json() == {"detail": "invalid or revoked API token"}
        assert "ci-token-1" not in c.get("/account/tokens").text

    def test_revoking_twice_is_404(self, engine: Engine) -> None:
        make_user(engine, "alice")
        c = signed_in("alice")
        _create(c)
        with session_scope(engine, read_only=True) as session:
            token_id = session.execute(select(col(ApiToken.id))).scalar_one()
        assert post_form(c, f"/account/tokens/{token_id}/revoke").status_code == 303
        assert post_form(c, f"/account/tokens/{token_id}/revoke").status_code == 404

    def test_someone_elses_token_cannot_be_revoked(self, engine: Engine) -> None:
        make_user(engine, "alice")
        make_user(engine, "bob")
        bobs = make_token(engine, "bob")
        with session_scope(engine, read_only=True) as session:
            token_id = session.execute(select(col(ApiToken.id))).scalar_one()
        response = post_form(signed_in("alice"), f"/account/tokens/{token_id}/revoke")
        assert response.status_code == 404
        assert client().get("/api/v1/pairs", headers=bearer(bobs)).status_code == 200

    def test_bearer_requests_skip_csrf_but_cookie_requests_do_not(self, engine: Engine) -> None:
        make_user(engine, "alice")
        token = make_token(engine, "alice")
        assert client().post("/api/v1/review/next", headers=bearer(token)).status_code == 200
        c = signed_in("alice")
        assert c.post("/api/v1/review/next").status_code == 403
