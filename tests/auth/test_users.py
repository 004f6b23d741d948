"""Users: list, create, disable/enable, reset password (ends sessions), change role; no self-lockout."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col
from starlette.testclient import TestClient

from app.auth.models import User, WebSession
from app.db import session_scope
from app.settings.models import AuditEvent
from tests.page_helpers import make_client, one, post, sign_in, soup, text_of
from tests.web_helpers import count, login

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")
NEW_PASSWORD = "a brand new long password"


def user(engine: Engine, username: str) -> User:
    with session_scope(engine, read_only=True) as session:
        return session.execute(select(User).where(col(User.username) == username)).scalar_one()


def signed_out(c: TestClient) -> bool:
    return c.get("/review/history").status_code == 303


class TestUsersPage:
    def test_lists_users_and_locks_own_disable_and_role(self, engine: Engine, admin: TestClient) -> None:
        sign_in(engine, "rev", "reviewer")
        page = soup(admin.get("/admin/users").text)
        assert [tr["data-user"] for tr in page.select("tr[data-user]")] == ["adm", "rev"]
        mine = one(page, 'tr[data-user="adm"]')
        assert one(mine, 'form[action$="/active"] button').has_attr("disabled")
        assert one(mine, 'form[action$="/role"] button').has_attr("disabled")
        theirs = one(page, 'tr[data-user="rev"]')
        assert not one(theirs, 'form[action$="/active"] button').has_attr("disabled")

    def test_notice_is_allowlisted(self, admin: TestClient) -> None:
        assert "The user was created." in text_of(admin.get("/admin/users?notice=created"))
        assert admin.get("/admin/users?notice=<b>hi</b>").status_code == 422

    def test_reviewer_is_refused(self, reviewer: TestClient) -> None:
        assert reviewer.get("/admin/users").status_code == 403

    def test_anonymous_goes_to_login(self, anonymous: TestClient) -> None:
        assert anonymous.get("/admin/users").headers["location"] == "/login?next=/admin/users"


class TestCreateUser:
    def test_creates_a_user_who_can_sign_in(self, engine: Engine, admin: TestClient) -> None:
        response = post(
            admin, "/admin/users", {"username": "carol", "role": "reviewer", "password": NEW_PASSWORD}
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/users?notice=created"
        assert user(engine, "carol").role == "reviewer"
        assert login(make_client(), "carol", NEW_PASSWORD).status_code == 303
        with session_scope(engine, read_only=True) as session:
            event = session.execute(
                select(AuditEvent).where(col(AuditEvent.action) == "user.create")
            ).scalar_one()
        assert event.data == {"role": "reviewer"}

    @pytest.mark.parametrize(
        ("form", "status", "words"),
        [
            ({"username": "a b", "role": "reviewer", "password": NEW_PASSWORD}, 422, "username must be"),
            ({"username": "carol", "role": "reviewer", "password": "short"}, 422, "password must be at least"),
            ({"username": "carol", "role": "owner", "password": NEW_PASSWORD}, 422, "role: Input should be"),
            ({"username": "carol", "role": "reviewer"}, 422, "password: Field required"),
            ({"username": "carol", "role": "reviewer", "password": NEW_PASSWORD, "is_active": "false"}, 422,
             "is_active: Extra inputs are not permitted"),
            ({"username": "adm", "role": "reviewer", "password": NEW_PASSWORD}, 409, "user 'adm' already exists"),
        ],
    )  # fmt: skip
    def test_bad_input_is_refused_in_words(
        self, engine: Engine, admin: TestClient, form: dict[str, str], status: int, words: str
    ) -> None:
        response = post(admin, "/admin/users", form)
        assert response.status_code == status
        assert words in text_of(response)
        assert count(engine, User) == 1

    def test_missing_csrf_is_refused(self, engine: Engine, admin: TestClient) -> None:
        response = admin.post(
            "/admin/users", data={"username": "carol", "role": "admin", "password": NEW_PASSWORD}
        )
        assert response.status_code == 403
        assert count(engine, User) == 1

    def test_reviewer_cannot_create_admins(self, engine: Engine, reviewer: TestClient) -> None:
        response = post(
            reviewer, "/admin/users", {"username": "evil", "role": "admin", "password": NEW_PASSWORD}
        )
        assert response.status_code == 403
        assert count(engine, User, User.username == "evil") == 0


class TestActive:
    def test_disable_ends_sessions_and_enable_restores(self, engine: Engine, admin: TestClient) -> None:
        rev = sign_in(engine, "rev", "reviewer")
        rev_id = user(engine, "rev").id
        response = post(admin, f"/admin/users/{rev_id}/active", {"active": "false"})
        assert (response.status_code, response.headers["location"]) == (303, "/admin/users?notice=disabled")
        assert user(engine, "rev").is_active is False
        assert signed_out(rev)
        assert login(make_client(), "rev").status_code != 303
        assert post(admin, f"/admin/users/{rev_id}/active", {"active": "true"}).status_code == 303
        assert user(engine, "rev").is_active is True
        assert login(make_client(), "rev").status_code == 303

    def test_admin_cannot_disable_themself(self, engine: Engine, admin: TestClient) -> None:
        response = post(admin, f"/admin/users/{user(engine, 'adm').id}/active", {"active": "false"})
        assert response.status_code == 409
        assert "You cannot disable your own account" in text_of(response)
        assert user(engine, "adm").is_active is True
        assert not signed_out(admin)

    def test_bad_value_is_422(self, engine: Engine, admin: TestClient) -> None:
        rev_id = sign_in(engine, "rev", "reviewer") and user(engine, "rev").id
        assert post(admin, f"/admin/users/{rev_id}/active", {"active": "maybe"}).status_code == 422
        assert post(admin, "/admin/users/abc/active", {"active": "false"}).status_code == 422

    def test_unknown_user_is_404(self, admin: TestClient) -> None:
        assert post(admin, "/admin/users/999999/active", {"active": "false"}).status_code == 404

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        sign_in(engine, "adm2", "admin")
        response = post(reviewer, f"/admin/users/{user(engine, 'adm2').id}/active", {"active": "false"})
        assert response.status_code == 403
        assert user(engine, "adm2").is_active is True


class TestResetPassword:
    def test_reset_ends_their_sessions_and_sets_the_password(self, engine: Engine, admin: TestClient) -> None:
        rev = sign_in(engine, "rev", "reviewer")
        rev_id = user(engine, "rev").id
        response = post(admin, f"/admin/users/{rev_id}/password", {"password": NEW_PASSWORD})
        assert (response.status_code, response.headers["location"]) == (303, "/admin/users?notice=password")
        assert count(engine, WebSession, WebSession.user_id == rev_id) == 0
        assert signed_out(rev)
        assert login(make_client(), "rev", NEW_PASSWORD).status_code == 303
        with session_scope(engine, read_only=True) as session:
            event = session.execute(
                select(AuditEvent).where(col(AuditEvent.action) == "user.reset_password")
            ).scalar_one()
        assert event.data is None

    def test_short_password_is_422(self, engine: Engine, admin: TestClient) -> None:
        sign_in(engine, "rev", "reviewer")
        response = post(admin, f"/admin/users/{user(engine, 'rev').id}/password", {"password": "x"})
        assert response.status_code == 422
        assert "password must be at least" in text_of(response)
        assert login(make_client(), "rev").status_code == 303

    def test_unknown_user_is_404(self, admin: TestClient) -> None:
        assert post(admin, "/admin/users/999999/password", {"password": NEW_PASSWORD}).status_code == 404

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        response = post(
            reviewer, f"/admin/users/{user(engine, 'rev').id}/password", {"password": NEW_PASSWORD}
        )
        assert response.status_code == 403


class TestRole:
    def test_promote_and_demote_another_user(self, engine: Engine, admin: TestClient) -> None:
        rev = sign_in(engine, "rev", "reviewer")
        rev_id = user(engine, "rev").id
        response = post(admin, f"/admin/users/{rev_id}/role", {"role": "admin"})
        assert (response.status_code, response.headers["location"]) == (303, "/admin/users?notice=role")
        assert rev.get("/admin").status_code == 200
        assert post(admin, f"/admin/users/{rev_id}/role", {"role": "reviewer"}).status_code == 303
        assert rev.get("/admin").status_code == 403

    def test_admin_cannot_demote_themself(self, engine: Engine, admin: TestClient) -> None:
        response = post(admin, f"/admin/users/{user(engine, 'adm').id}/role", {"role": "reviewer"})
        assert response.status_code == 409
        assert "You cannot remove your own admin role" in text_of(response)
        assert user(engine, "adm").role == "admin"

    def test_bad_role_is_422(self, engine: Engine, admin: TestClient) -> None:
        response = post(admin, f"/admin/users/{user(engine, 'adm').id}/role", {"role": "root"})
        assert response.status_code == 422

    def test_unknown_user_is_404(self, admin: TestClient) -> None:
        assert post(admin, "/admin/users/999999/role", {"role": "admin"}).status_code == 404

    def test_reviewer_cannot_promote_themself(self, engine: Engine, reviewer: TestClient) -> None:
        response = post(reviewer, f"/admin/users/{user(engine, 'rev').id}/role", {"role": "admin"})
        assert response.status_code == 403
        assert user(engine, "rev").role == "reviewer"
