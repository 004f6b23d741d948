"""Users, browser sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, func, text
from sqlmodel import Field, SQLModel

from app.models_base import utcnow


class Role(StrEnum):
    admin = "admin"
    reviewer = "reviewer"


class User(SQLModel, table=True):
    __tablename__ = "user"
    __table_args__ = (Index("uq_user_username_lower", func.lower(text("username")), unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    # Unique ignoring case (a functional index on lower(username)): `Alice` and `alice` are one name.
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(default=Role.reviewer, max_length=20)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)


class WebSession(SQLModel, table=True):
    """A server-side browser session; the cookie carries only its signed random id."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class ApiToken(SQLModel, table=True):
    """A bearer token for /api/v1, shown once; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Sign-in attempts in the current window, one row per user name or client address.

    The row is bumped with one atomic upsert before a password is checked, so a burst of simultaneous
    guesses cannot all be evaluated: at most the limit per window ever reaches the password check.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=80)
    attempts: int = 0
    window_start: datetime = Field(default_factory=utcnow)
