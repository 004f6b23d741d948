"""Sign-in throttling per user name and per client address, counted before the password is checked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from app.auth.models import LoginThrottle
from app.config import get_settings
from app.models_base import utcnow

# An address may try several names; allow it more attempts than one name gets.
IP_FACTOR = 4


def user_key(username: str) -> str:
    return f"user:{username.lower()[:64]}"


def ip_key(ip: str) -> str:
    return f"ip:{ip[:64]}"


def _bump(session: Session, *, key: str, now: datetime, since: datetime) -> int:
    """Add one attempt to `key` (a new window when the old one ended) and return the count, atomically.

    One INSERT .. ON CONFLICT DO UPDATE .. RETURNING: PostgreSQL locks the row for the update and SQLite
    holds the write lock (BEGIN IMMEDIATE), so concurrent requests each see a distinct count.
    """
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stale = table.c.window_start < since
    statement = (
        insert(table)
        .values(key=key, attempts=1, window_start=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "attempts": case((stale, 1), else_=table.c.attempts + 1),
                "window_start": case((stale, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.attempts)
    )
    return int(session.execute(statement).scalar_one())


def reserve_attempt(session: Session, *, username: str, ip: str) -> bool:
    """Count one sign-in attempt for the name and the address; False when either is over its limit."""
    settings = get_settings()
    now = utcnow()
    since = now - timedelta(seconds=settings.login_window_seconds)
    by_user = _bump(session, key=user_key(username), now=now, since=since)
    by_ip = _bump(session, key=ip_key(ip), now=now, since=since)
    return by_user <= settings.login_max_attempts and by_ip <= settings.login_max_attempts * IP_FACTOR


def clear_failures(session: Session, *, username: str) -> None:
    """A successful sign-in starts the name's count afresh (the address keeps its count)."""
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.key) == user_key(username)))
