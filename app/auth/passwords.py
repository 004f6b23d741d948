"""Argon2id password hashing."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2-cffi defaults to Argon2id with RFC 9106 low-memory parameters

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def dummy_hash() -> str:
    """Verified against when the user does not exist, so unknown names cost the same time as wrong passwords.

    Made on first use, not at import: every `pairwise` command imports this module.
    """
    return _hasher.hash("pairwise-dummy-password")


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
