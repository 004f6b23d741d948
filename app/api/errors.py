"""The one error shape of the API, and the `responses=` declaration every operation reuses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(description='Where the problem is, e.g. `["body", "comment"]`.')
    msg: str


class ApiError(BaseModel):
    """Every 4xx/5xx answer of /api/v1: a sentence to show, and per-field problems on 422."""

    detail: str = Field(description="What went wrong, in words fit to show a user.")
    errors: list[ErrorItem] | None = Field(
        default=None, description="Per-field problems (validation failures only)."
    )


DESCRIPTIONS = {
    400: "Malformed request (e.g. a body that is not JSON).",
    401: "No valid bearer token (or session).",
    403: "Signed in but not allowed (admins only, or a cookie request without its CSRF token).",
    404: "No such object, or not one the caller may see.",
    409: "Conflicts with the current state (already judged, lease lost, pair decided).",
    413: "Request body too large.",
    422: "Input does not validate; `errors` lists each field.",
    429: "Too many requests; wait and retry.",
}
READ_ERRORS = (401, 403, 404, 422)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422, 429)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for an operation: each listed status answers with `ApiError`."""
    return {code: {"model": ApiError, "description": DESCRIPTIONS[code]} for code in codes}
