"""Provider settings: the key encrypted at rest, shown as its last 4 characters, tied to its base URL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.db import session_scope
from app.errors import ValidationFailedError
from app.settings.models import AppSetting, AuditEvent
from app.training import provider
from app.training.secrets import SecretUnreadableError, decrypt, encrypt, last4, redact
from tests.training.web import anonymous, signed_in
from tests.web_helpers import csrf, make_user

KEY = "sk-proj-test-0123456789abcdefWXYZ"
OTHER = "sk-proj-other-9876543210zyxwvuQRST"


def test_encryption_round_trip_and_another_secret_cannot_read_it() -> None:
    token = encrypt(KEY)
    assert KEY not in token
    assert decrypt(token) == KEY
    assert encrypt(KEY) != token  # fresh IV each time
    with pytest.raises(SecretUnreadableError, match="PAIRWISE_SECRET_KEY changed"):
        decrypt(token, secret="another-secret-key-that-is-long-enough-000")
    assert last4(KEY) == "WXYZ"
    assert last4("short") == ""


def test_redact_hides_the_key_and_partly_masked_echoes() -> None:
    assert redact(f"Incorrect API key provided: {KEY}.", [KEY]) == "Incorrect API key provided: [redacted]."
    masked = f"{KEY[:14]}****{KEY[-4:]}"
    assert KEY[:14] not in redact(f"key {masked}", [KEY])
    assert redact("nothing here", [KEY, None]) == "nothing here"


def test_save_rules(training_engine: Engine) -> None:
    with session_scope(training_engine) as session:
        assert provider.endpoint(session).source == "environment"
        with pytest.raises(ValidationFailedError, match="enter the API key"):
            provider.save_credentials(session, base_url="https://ft.example.com/v1", api_key="", user_id=None)
        saved = provider.save_credentials(
            session, base_url="https://ft.example.com/v1/", api_key=f"  {KEY} ", user_id=None
        )
        assert (saved.base_url, saved.source, saved.key_last4, saved.has_key) == (
            "https://ft.example.com/v1",
            "saved",
            "WXYZ",
            True,
        )
    with session_scope(training_engine) as session:
        raw = session.get(AppSetting, provider.SETTING_KEY)
        assert raw is not None
        assert KEY not in str(raw.value)
        assert raw.value["key_last4"] == "WXYZ"
        assert provider.credentials(session) == ("https://ft.example.com/v1", KEY)
        # Same URL, empty key: the saved key stays.
        provider.save_credentials(session, base_url="https://ft.example.com/v1", api_key="", user_id=None)
        with pytest.raises(
            ValidationFailedError, match="changing the base URL requires entering the API key again"
        ):
            provider.save_credentials(
                session, base_url="https://evil.example.net/v1", api_key="", user_id=None
            )
        assert provider.credentials(session) == ("https://ft.example.com/v1", KEY)
        provider.save_credentials(
            session, base_url="https://other.example.org/v1", api_key=OTHER, user_id=None
        )
        assert provider.credentials(session) == ("https://other.example.org/v1", OTHER)
        audits = list(session.execute(select(AuditEvent).order_by(col(AuditEvent.id))).scalars())
        assert [a.data for a in audits if a.action == "training.credentials.saved"][-1] == {
            "base_url": "https://other.example.org/v1", "key_last4": "QRST",
        }  # fmt: skip
        assert all(KEY not in str(a.data) and OTHER not in str(a.data) for a in audits)
        provider.clear_credentials(session, user_id=None)
        assert provider.credentials(session) == (None, None)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://files.example.com", "http://user:pw@example.com/v1", "https://example.com/v1?x=1",
     "https://example.com/v1#frag", "http://", "https://exa mple.com", "https://example.com:99999/v1"],
)  # fmt: skip
def test_unsafe_base_urls_are_refused(training_engine: Engine, url: str) -> None:
    with session_scope(training_engine) as session, pytest.raises(ValidationFailedError):
        provider.save_credentials(session, base_url=url, api_key=KEY, user_id=None)


def test_openai_endpoint_detection_and_cutoff(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    assert provider.is_openai_url("https://api.openai.com/v1")
    assert provider.is_openai_url("https://eu.api.openai.com/v1")
    assert not provider.is_openai_url("https://openai.com.example.net/v1")
    assert not provider.cutoff_passed(date(2027, 1, 5))
    assert provider.cutoff_passed(date(2027, 1, 6))


def test_settings_page_shows_only_the_last_4_and_needs_the_key_for_a_new_url(
    training_engine: Engine, fast_passwords: None
) -> None:
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    page = client.get("/admin/training/settings")
    assert page.status_code == 200
    assert "Nothing saved" in page.text
    assert "OPENAI_API_KEY" in page.text
    response = client.post(
        "/admin/training/settings",
        data={"base_url": "https://ft.example.com/v1", "api_key": KEY, "csrf_token": csrf(client)},
    )
    assert response.status_code == 303
    page = client.get("/admin/training/settings")
    assert "key ending in <code>WXYZ</code>" in page.text
    assert KEY not in page.text
    assert 'name="api_key" value=""' in page.text
    refused = client.post(
        "/admin/training/settings",
        data={"base_url": "https://elsewhere.example.com/v1", "api_key": "", "csrf_token": csrf(client)},
    )
    assert refused.status_code == 422
    assert "changing the base URL requires entering the API key again" in refused.text
    assert KEY not in refused.text
    bad = "sk has spaces in it 1234"
    refused = client.post(
        "/admin/training/settings",
        data={"base_url": "https://ft.example.com/v1", "api_key": bad, "csrf_token": csrf(client)},
    )
    assert refused.status_code == 422
    assert bad not in refused.text
    no_csrf = client.post(
        "/admin/training/settings", data={"base_url": "https://x.example.com/v1", "api_key": OTHER}
    )
    assert no_csrf.status_code == 403
    smuggled = client.post(
        "/admin/training/settings",
        data={
            "base_url": "https://ft.example.com/v1",
            "api_key": "",
            "role": "admin",
            "csrf_token": csrf(client),
        },
    )
    assert smuggled.status_code == 422
    assert "unexpected fields: role" in smuggled.text
    assert client.post("/admin/training/settings/clear", data={"csrf_token": csrf(client)}).status_code == 303
    assert "Nothing saved" in client.get("/admin/training/settings").text


def test_reviewers_and_anonymous_cannot_see_or_change_settings(
    training_engine: Engine, fast_passwords: None
) -> None:
    make_user(training_engine, "rev", role="reviewer")
    reviewer = signed_in("rev")
    assert reviewer.get("/admin/training/settings").status_code == 403
    form = {"base_url": "https://ft.example.com/v1", "api_key": KEY, "csrf_token": csrf(reviewer)}
    assert reviewer.post("/admin/training/settings", data=form).status_code == 403
    assert (
        reviewer.post("/admin/training/settings/clear", data={"csrf_token": csrf(reviewer)}).status_code
        == 403
    )
    nobody = anonymous()
    assert nobody.get("/admin/training/settings").status_code == 303
    assert nobody.post("/admin/training/settings", data={"base_url": "x", "api_key": KEY}).status_code in (
        401,
        403,
    )
    with session_scope(training_engine, read_only=True) as session:
        assert session.get(AppSetting, provider.SETTING_KEY) is None


class TestProviderMessages:
    """The run page shows a short, sanitized provider message, never a body verbatim."""

    @staticmethod
    def _error(status: int, body: object, content: bytes) -> Exception:
        import httpx2
        from openai import APIStatusError

        request = httpx2.Request("POST", "https://ft.example.com/v1/fine_tuning/jobs")
        response = httpx2.Response(status, request=request, content=content)
        return APIStatusError("error", response=response, body=body)

    def test_an_html_body_from_an_internal_service_is_not_shown(self) -> None:
        from app.training.backends.openai_errors import provider_message

        page = "<html><body>Jenkins admin console, secret=abc123</body></html>"
        message = provider_message(self._error(400, page, page.encode()))
        assert message == "HTTP 400 Bad Request: no message in words"

    def test_a_long_json_message_is_cut_to_one_short_line(self) -> None:
        from app.training.backends.openai_errors import MAX_PROVIDER_MESSAGE, provider_message

        body = {"error": {"message": "bad file\n" + "x" * 5000}}
        message = provider_message(self._error(400, body, b"{}"))
        assert "\n" not in message
        assert len(message) < MAX_PROVIDER_MESSAGE + 40
        assert message.startswith("HTTP 400 Bad Request: bad file x")

    def test_a_dump_in_the_message_field_is_not_shown(self) -> None:
        from app.training.backends.openai_errors import provider_message

        body = {"message": '{"internal": {"db_password": "hunter2"}}'}
        assert "hunter2" not in provider_message(self._error(400, body, b"{}"))
