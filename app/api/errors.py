"""The one error shape of the API, the `responses=` declaration every operation reuses, strict queries.

A new API router declares `dependencies=[Depends(strict_query)]` and `responses=error_responses(...)` on each
operation, so its document stays true to its answers.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
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


def _query_names(dependant: Any) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def strict_query(request: Request) -> None:
    """Refuse query parameters the operation does not declare (422), as bodies refuse unknown fields."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    allowed = _query_names(dependant) if dependant is not None else set()
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": "Unknown query parameter"}
                for name in unknown
            ]
        )
