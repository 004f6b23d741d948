"""Users: create, list, disable, set passwords. Keyword-only, never commits."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from app.auth.models import ApiToken, Role, User, WebSession
from app.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from app.errors import ConflictError, NotFoundError, ValidationFailedError
from app.models_base import utcnow

# fullmatch, not `$`: `$` also matches before a trailing newline, which let `admin\n` pass as a second admin.
USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}")


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailedError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def get_by_username(session: Session, *, username: str) -> User | None:
    """The user of exactly this name (sign-in is case-sensitive; uniqueness ignores case)."""
    return session.exec(select(User).where(col(User.username) == username)).first()


def name_taken(session: Session, *, username: str) -> bool:
    """Whether a user of this name exists, ignoring case (`Alice` and `alice` would look alike)."""
    return (
        session.exec(select(User.id).where(func.lower(col(User.username)) == username.lower())).first()
        is not None
    )


def create_user(session: Session, *, username: str, password: str, role: str) -> User:
    """Create an active user; names are unique and restricted to letters, digits, `_.-`."""
    if not USERNAME_RE.fullmatch(username):
        raise ValidationFailedError(
            "username must be 2-64 characters of letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    if role not in set(Role):
        raise ValidationFailedError(f"role must be one of: {', '.join(Role)}")
    validate_password(password)
    if name_taken(session, username=username):
        raise ConflictError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def require_user(session: Session, *, username: str) -> User:
    user = get_by_username(session, username=username)
    if user is None:
        raise NotFoundError(f"no user named {username!r}")
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    """Change the password, end every session and revoke every API token of the user."""
    validate_password(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.add(user)
    end_sessions(session, user_id=user.id or 0)
    revoke_tokens(session, user_id=user.id or 0)


def set_active(session: Session, *, user: User, active: bool) -> None:
    """Enable or disable; disabling ends the sessions and revokes the tokens (re-enabling restores neither)."""
    user.is_active = active
    session.add(user)
    if not active:
        end_sessions(session, user_id=user.id or 0)
        revoke_tokens(session, user_id=user.id or 0)


def set_role(session: Session, *, user: User, role: str) -> None:
    if role not in set(Role):
        raise ValidationFailedError(f"role must be one of: {', '.join(Role)}")
    user.role = role
    session.add(user)


def end_sessions(session: Session, *, user_id: int) -> None:
    session.execute(delete(WebSession).where(col(WebSession.user_id) == user_id))


def revoke_tokens(session: Session, *, user_id: int) -> None:
    """Revoke every live API token of the user (after a password reset or when disabled)."""
    session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.username))))
