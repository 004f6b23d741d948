"""Run-time settings stored in the database, falling back to the environment's initial values."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from app.config import get_settings
from app.models_base import utcnow
from app.settings.models import AppSetting, AuditEvent

# key -> (type, name of the Settings attribute giving the initial value)
RUNTIME_SETTINGS: dict[str, tuple[type, str]] = {
    "detection_threshold": (float, "detection_threshold"),
    "overlap": (int, "overlap"),
    "lease_minutes": (int, "lease_minutes"),
    "review_min_ms": (int, "review_min_ms"),
    "control_percent": (int, "review_control_percent"),
}


# Settings stored as JSON objects that every review screen shows (app/review/guidelines.py KEY): read with
# the run-time settings in the same statement.
PREFETCHED_OBJECTS = frozenset({"review_guidelines"})

# session.info key of the run-time settings read in the session's current transaction (see `_stored`).
_CACHE = "pairwise.runtime_settings"
# What `_stored` reads, built once (every request asks).
_STORED_QUERY = select(AppSetting).where(
    col(AppSetting.key).in_([*RUNTIME_SETTINGS, *sorted(PREFETCHED_OBJECTS)])
)


def get_value(session: Session, *, key: str) -> Any:
    """The stored value of a run-time setting, or its initial value from the environment."""
    kind, attribute = RUNTIME_SETTINGS[key]
    stored = _stored(session)
    return kind(stored[key]) if key in stored else getattr(get_settings(), attribute)


def _stored(session: Session) -> dict[str, Any]:
    """All stored run-time settings and PREFETCHED_OBJECTS, read with one query once per transaction (a review
    request asks for several of them several times); `_put` forgets the copy, a new transaction reads them again.
    Nothing is kept between transactions: an admin's change is seen by every process's next request."""
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return dict(cached[1])
    rows = session.exec(_STORED_QUERY).all()
    values = {row.key: row.value for row in rows}
    session.info[_CACHE] = (session.get_transaction(), values)
    return values


def set_value(session: Session, *, key: str, value: Any) -> None:
    kind, _ = RUNTIME_SETTINGS[key]
    _put(session, key=key, value=kind(value))


def get_object(session: Session, *, key: str) -> dict[str, Any] | None:
    """A setting stored as a JSON object (a provider's endpoint and encrypted key), or None."""
    if key in PREFETCHED_OBJECTS:
        value = _stored(session).get(key)
        return dict(value) if isinstance(value, dict) else None
    row = session.get(AppSetting, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else None


def set_object(session: Session, *, key: str, value: dict[str, Any]) -> None:
    _put(session, key=key, value=value)


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_on_rollback(session: OrmSession, _transaction: Any) -> None:
    """A rolled-back savepoint may have held a `set_value`: read the settings again."""
    session.info.pop(_CACHE, None)


def _put(session: Session, *, key: str, value: Any) -> None:
    session.info.pop(_CACHE, None)
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
