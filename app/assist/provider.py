"""The suggestion provider: one admin-configured OpenAI-compatible chat endpoint for every model-assisted feature.

Base URL, model and key are stored in one app setting; the key is encrypted at rest exactly like the
fine-tuning key (app/training/secrets.py), is only sent to the base URL it was saved with, and only its last
four characters are ever shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.errors import PairwiseError, ValidationFailedError
from app.settings.service import audit, get_object, set_object
from app.training.provider import clean_base_url, key_to_store
from app.training.secrets import SecretUnreadableError, decrypt

SETTING_KEY = "suggestion_provider"
MAX_MODEL = 200


class ProviderNotConfiguredError(PairwiseError):
    """No suggestion provider is saved."""

    status_code = 409


@dataclass(frozen=True, slots=True)
class ProviderView:
    """What pages show: never the key, only whether one is saved and its last four characters."""

    base_url: str
    model: str
    key_last4: str


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """What the client needs; built only when a request is about to be sent."""

    base_url: str
    model: str
    api_key: str


def _stored(session: Session) -> dict[str, Any] | None:
    return get_object(session, key=SETTING_KEY)


def provider_view(session: Session) -> ProviderView | None:
    stored = _stored(session)
    if not stored:
        return None
    return ProviderView(
        base_url=stored["base_url"], model=stored["model"], key_last4=stored.get("key_last4", "")
    )


def provider_config(session: Session) -> ProviderConfig:
    """The saved endpoint with its key decrypted; a clear error when none is saved or the key is unreadable."""
    stored = _stored(session)
    if not stored:
        raise ProviderNotConfiguredError(
            "no suggestion provider is configured: an admin sets one under Settings → Suggestion provider"
        )
    try:
        key = decrypt(stored["api_key"])
    except SecretUnreadableError as exc:
        raise SecretUnreadableError(
            "The saved suggestion provider key cannot be decrypted (PAIRWISE_SECRET_KEY changed?). "
            "An admin must enter the key again under Settings → Suggestion provider."
        ) from exc
    return ProviderConfig(base_url=stored["base_url"], model=stored["model"], api_key=key)


def save_provider(
    session: Session, *, base_url: str, model: str, api_key: str, user_id: int | None
) -> ProviderView:
    """Save the endpoint. An empty key keeps the saved one, but only for the same base URL."""
    url = clean_base_url(base_url)
    model = model.strip()
    if not model or len(model) > MAX_MODEL or any(ch.isspace() or not ch.isprintable() for ch in model):
        raise ValidationFailedError(f"model: give the model name, at most {MAX_MODEL} characters, no spaces")
    encrypted, key_last4 = key_to_store(_stored(session), url=url, api_key=api_key)
    value = {"base_url": url, "model": model, "api_key": encrypted, "key_last4": key_last4}
    set_object(session, key=SETTING_KEY, value=value)
    audit(
        session, user_id=user_id, action="assist.provider.saved", object_type="setting", object_id=SETTING_KEY,
        base_url=url, model=model, key_last4=key_last4,
    )  # fmt: skip
    session.flush()
    return ProviderView(base_url=url, model=model, key_last4=key_last4)
