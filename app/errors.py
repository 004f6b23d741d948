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
