"""Sign-in throttling per user name and per client address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlmodel import Session, col

from app.auth.models import LoginAttempt
from app.config import get_settings
from app.models_base import utcnow

# An address may try several names; allow it more attempts than one name gets.
IP_FACTOR = 4


def is_throttled(session: Session, *, username: str, ip: str) -> bool:
    settings = get_settings()
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    by_user, by_ip = session.execute(
        select(
            func.count().filter(col(LoginAttempt.username) == username.lower()),
            func.count().filter(col(LoginAttempt.ip) == ip),
        ).where(
            col(LoginAttempt.created_at) >= since,
            or_(col(LoginAttempt.username) == username.lower(), col(LoginAttempt.ip) == ip),
        )
    ).one()
    return by_user >= settings.login_max_attempts or by_ip >= settings.login_max_attempts * IP_FACTOR


def record_failure(session: Session, *, username: str, ip: str) -> None:
    session.add(LoginAttempt(username=username.lower()[:64], ip=ip[:64]))


def clear_failures(session: Session, *, username: str) -> None:
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.username) == username.lower()))
