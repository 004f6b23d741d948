"""The error types of Pairwise: each one is a failure a user can act on, described in words."""

from __future__ import annotations


class PairwiseError(Exception):
    """Base class: `str(error)` is a message fit to show a user."""

    status_code = 400


class ImportInputError(PairwiseError):
    """An import input cannot be read (unknown format, unsafe archive, bad encoding)."""


class NotFoundError(PairwiseError):
    status_code = 404


class ConflictError(PairwiseError):
    """The object changed since it was read (stale edit) or the action collides with another."""

    status_code = 409


class PermissionDeniedError(PairwiseError):
    status_code = 403


class ValidationFailedError(PairwiseError):
    status_code = 422


class NotAuthenticatedError(PairwiseError):
    """No valid session or token: pages send the user to sign in, the API answers 401."""

    status_code = 401


class CsrfError(PairwiseError):
    status_code = 403


def public_message(exc: BaseException) -> str:
    """Words about an error that are safe to show: never SQL, bound values or a driver's text."""
    if isinstance(exc, PairwiseError):
        return str(exc)
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        # The text of a database error holds the statement and its parameters (imported data): log only.
        return f"a database error ({type(exc).__name__}); the details are in the server log"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"
