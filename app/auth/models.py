"""Users, browser sessions and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.models_base import utcnow


class Role(StrEnum):
    admin = "admin"
    reviewer = "reviewer"


class User(SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
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


class LoginAttempt(SQLModel, table=True):
    """Failed sign-ins, counted per username and per client address for throttling."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    ip: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
