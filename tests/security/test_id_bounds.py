"""Out-of-range ids on every route answer 404/422, never 500 (issue 15).

Every route with an integer path parameter is found from the app itself, so a route added later is covered
without editing this file; each is called as an admin (and as a reviewer for the API) with ids past SQLite's
and PostgreSQL's integer ranges, zero and negative numbers.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.main import create_app
from tests.web_helpers import bearer, csrf, make_token, make_user, settings_env, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")

OUT_OF_RANGE = ("9223372036854775808", "9223372036854775807", "2147483648", "0", "-1")
PARAM = re.compile(r"\{(\w+)\}")


def _int_routes() -> list[tuple[str, str]]:
    """(method, path) of every route whose path has a parameter declared as an int."""
    out: list[tuple[str, str]] = []
    with settings_env(Path(tempfile.mkdtemp(prefix="pw-routes-"))):
        routes = create_app().routes
    for route in routes:
        # FastAPI's route contexts are of a private type; both kinds are read by duck typing below.
        contexts: list[Any] = (
            list(route.effective_route_contexts()) if hasattr(route, "effective_route_contexts") else [route]
        )
        for context in contexts:
            dependant = getattr(context, "dependant", None)
            if dependant is None:
                continue
            if any(p.field_info.annotation is int for p in dependant.path_params):
                out.extend((m, context.path) for m in sorted(context.methods or ()) if m != "HEAD")
    return out


ROUTES = _int_routes()


def test_the_routes_were_found() -> None:
    paths = {p for _, p in ROUTES}
    assert {"/admin/pairs/{pair_id}", "/api/v1/pairs/{pair_id}", "/review/{pair_id}/judge"} <= paths
    assert len(ROUTES) >= 15


def _fill(path: str, value: str) -> str:
    return PARAM.sub(lambda m: value if m.group(1).endswith("_id") else "x.jsonl", path)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_out_of_range_ids_are_404_or_422(engine: Engine, method: str, path: str) -> None:
    make_user(engine, "adm", role="admin")
    c = signed_in("adm")
    headers = {} if method == "GET" else {"X-CSRF-Token": csrf(c)}
    for value in OUT_OF_RANGE:
        response = c.request(method, _fill(path, value), headers=headers)
        assert response.status_code in (404, 422), (value, response.status_code, response.text[:200])


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/pairs?after=9223372036854775808",
        "/api/v1/pairs?after=99999999999999999999999",
        "/api/v1/pairs?after=-1",
        "/api/v1/pairs?limit=9223372036854775808",
        "/api/v1/pairs/9223372036854775808",
        "/admin/pairs?after=9223372036854775808",
        "/admin/conversations?after=9223372036854775808",
        "/admin/imports?after=9223372036854775808",
        "/admin/training?release_id=9223372036854775808",
    ],
)
def test_out_of_range_query_ids_are_422(engine: Engine, url: str) -> None:
    make_user(engine, "adm", role="admin")
    response = signed_in("adm").get(url)
    assert response.status_code == 422, response.text[:200]
    if url.startswith("/api/"):
        make_user(engine, "rev")
        api = signed_in("adm").get(url, headers=bearer(make_token(engine, "rev")))
        assert api.status_code == 422
        body = api.json()
        assert isinstance(body["detail"], str)
        assert body["errors"][0]["loc"][0] == "query" or body["errors"][0]["loc"][0] == "path"
