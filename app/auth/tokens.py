"""API tokens: random, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.auth.models import ApiToken, User
from app.errors import NotFoundError, ValidationFailedError
from app.models_base import utcnow

TOKEN_PREFIX = "pw_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the plain token, which is never stored."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationFailedError("token name must be 1-100 characters")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id or 0, name=name, token_hash=_digest(plain), prefix=plain[:10])
    session.add(token)
    session.flush()
    return token, plain


def user_for_token(session: Session, *, token: str) -> User | None:
    row = session.execute(
        select(ApiToken, User)
        .join(User, col(User.id) == ApiToken.user_id)
        .where(col(ApiToken.token_hash) == _digest(token), col(ApiToken.revoked_at).is_(None))
    ).first()
    if row is None or not row[1].is_active:
        return None
    return row[1]


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken)
            .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
            .order_by(col(ApiToken.id))
        )
    )


def revoke_token(session: Session, *, user: User, token_id: int) -> None:
    result = session.exec(
        update(ApiToken)
        .where(
            col(ApiToken.id) == token_id,
            col(ApiToken.user_id) == user.id,
            col(ApiToken.revoked_at).is_(None),
        )
        .values(revoked_at=utcnow())
    )
    if not result.rowcount:
        raise NotFoundError("no such token")
