"""Run-time settings stored in the database, falling back to the environment's initial values."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.config import get_settings
from app.models_base import utcnow
from app.settings.models import AppSetting, AuditEvent

# key -> (type, name of the Settings attribute giving the initial value)
RUNTIME_SETTINGS: dict[str, tuple[type, str]] = {
    "detection_threshold": (float, "detection_threshold"),
    "overlap": (int, "overlap"),
    "lease_minutes": (int, "lease_minutes"),
    "review_min_ms": (int, "review_min_ms"),
}


def get_value(session: Session, *, key: str) -> Any:
    """The stored value of a run-time setting, or its initial value from the environment."""
    kind, attribute = RUNTIME_SETTINGS[key]
    row = session.get(AppSetting, key)
    return kind(row.value) if row is not None else getattr(get_settings(), attribute)


def set_value(session: Session, *, key: str, value: Any) -> None:
    kind, _ = RUNTIME_SETTINGS[key]
    _put(session, key=key, value=kind(value))


def get_object(session: Session, *, key: str) -> dict[str, Any] | None:
    """A setting stored as a JSON object (a provider's endpoint and encrypted key), or None."""
    row = session.get(AppSetting, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else None


def set_object(session: Session, *, key: str, value: dict[str, Any]) -> None:
    _put(session, key=key, value=value)


def _put(session: Session, *, key: str, value: Any) -> None:
    row = session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=value))
    else:
        row.value = value
        row.updated_at = utcnow()
        session.add(row)


def audit(
    session: Session, *, user_id: int | None, action: str, object_type: str, object_id: Any, **data: Any
) -> None:
    """Record who changed what (never secrets) for the history views."""
    session.add(
        AuditEvent(
            user_id=user_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=data or None,
        )
    )
