"""Where the OpenAI-compatible backend sends requests: the saved base URL and key, or the SDK's environment.

The key is stored encrypted (see secrets.py) next to its base URL, so a key is only ever sent to the
endpoint it was saved for; changing the base URL requires entering the key again. Only its last four
characters are ever shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session

from app.errors import ValidationFailedError
from app.net import check_url
from app.settings.models import AppSetting
from app.settings.service import audit, get_object, set_object
from app.training.secrets import decrypt, encrypt, last4

SETTING_KEY = "training_openai"
OPENAI_BASE_URL = "https://api.openai.com/v1"
# OpenAI stops accepting new fine-tuning jobs on this day (earlier for new or inactive organizations).
OPENAI_CUTOFF = date(2027, 1, 6)
MAX_KEY = 500


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What a client will use. `source` is "saved" or "environment"; `key_last4` only when saved."""

    base_url: str
    source: str
    has_key: bool
    key_last4: str | None

    @property
    def is_openai(self) -> bool:
        return is_openai_url(self.base_url)


def is_openai_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "openai.com" or host.endswith(".openai.com")


def cutoff_passed(today: date | None = None) -> bool:
    return (today or date.today()) >= OPENAI_CUTOFF


def clean_base_url(raw: str) -> str:
    """An http(s) URL with a host and nothing that could smuggle credentials or a second target."""
    url = raw.strip()
    if not url:
        raise ValidationFailedError("the base URL is empty")
    if len(url) > 500 or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValidationFailedError("the base URL must be one line of at most 500 printable characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailedError("the base URL must start with https:// (or http://) and name a host")
    if parts.username or parts.password or "@" in parts.netloc:
        raise ValidationFailedError("the base URL may not contain a user name or password")
    if parts.query or parts.fragment:
        raise ValidationFailedError("the base URL may not contain a query or a fragment")
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise ValidationFailedError("the base URL has an invalid port") from exc
    check_url(url)
    return url.rstrip("/")


def key_to_store(stored: dict[str, Any] | None, *, url: str, api_key: str) -> tuple[str, str]:
    """(encrypted key, its last four characters) to save with `url`: a new key, checked and encrypted, or when
    `api_key` is empty the saved one, but only for the base URL it was saved with."""
    key = api_key.strip()
    if not key:
        if not stored or not stored.get("api_key"):
            raise ValidationFailedError("api_key: enter the API key to save it")
        if stored["base_url"] != url:
            raise ValidationFailedError(
                "api_key: changing the base URL requires entering the API key again (a saved key is only sent "
                "to the endpoint it was saved for)"
            )
        return stored["api_key"], stored.get("key_last4", "")
    if len(key) > MAX_KEY or any(ch.isspace() or not ch.isprintable() for ch in key):
        raise ValidationFailedError(
            "api_key: the API key must be one line of printable characters without spaces"
        )
    if len(key) < 8:
        raise ValidationFailedError("api_key: the API key is too short")
    return encrypt(key), last4(key)


def _stored(session: Session) -> dict[str, Any] | None:
    return get_object(session, key=SETTING_KEY)


def endpoint(session: Session) -> Endpoint:
    stored = _stored(session)
    if stored and stored.get("api_key"):
        return Endpoint(
            base_url=stored["base_url"], source="saved", has_key=True, key_last4=stored.get("key_last4")
        )
    env_url = os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL
    return Endpoint(
        base_url=env_url.rstrip("/"),
        source="environment",
        has_key=bool(os.environ.get("OPENAI_API_KEY")),
        key_last4=None,
    )


def credentials(session: Session) -> tuple[str | None, str | None]:
    """(base_url, api_key) for the client; (None, None) lets the SDK read its environment variables."""
    stored = _stored(session)
    if stored and stored.get("api_key"):
        return stored["base_url"], decrypt(stored["api_key"])
    return None, None


def save_credentials(session: Session, *, base_url: str, api_key: str, user_id: int | None) -> Endpoint:
    """Save a base URL and key. An empty key keeps the saved one, but only for the same base URL."""
    url = clean_base_url(base_url or OPENAI_BASE_URL)
    encrypted, key_last4 = key_to_store(_stored(session), url=url, api_key=api_key)
    if not api_key.strip():
        return endpoint(session)  # the saved key, for the same base URL: nothing changes
    set_object(
        session, key=SETTING_KEY, value={"base_url": url, "api_key": encrypted, "key_last4": key_last4}
    )
    audit(
        session, user_id=user_id, action="training.credentials.saved", object_type="setting",
        object_id=SETTING_KEY, base_url=url, key_last4=key_last4,
    )  # fmt: skip
    session.flush()
    return endpoint(session)


def clear_credentials(session: Session, *, user_id: int | None) -> None:
    row = session.get(AppSetting, SETTING_KEY)
    if row is None:
        return
    session.delete(row)
    audit(
        session,
        user_id=user_id,
        action="training.credentials.cleared",
        object_type="setting",
        object_id=SETTING_KEY,
    )
    session.flush()


def known_secrets(session: Session) -> list[str]:
    """Every key a run may send (the stored one and the SDK's environment fallback), for redaction."""
    _, key = credentials(session)
    return [secret for secret in (key, os.environ.get("OPENAI_API_KEY")) if secret]
