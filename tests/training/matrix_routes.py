"""The training routes' rows for the S7 route matrix (tests/security/routes.py).

When app/main.py includes the training router, add `ROUTES.update(TRAINING_ROUTES)` at the end of
tests/security/routes.py. The makers create what they need (a ready release, a pending TRL run) in the
matrix's world, so nothing else in the matrix changes.
"""

from __future__ import annotations

from typing import Any

from app.config import get_settings
from app.db import session_scope
from app.releases.service import build_release
from app.training.service import launch_run
from tests.releases.factories import add_many
from tests.security.routes import MISSING, Call, Rule, World, _c

ROOT = "/admin/training"


def release_id(world: World) -> int:
    """One ready SFT release in the OpenAI format per world."""
    cached = getattr(world, "_training_release", None)
    if cached is not None:
        return int(cached)
    with session_scope(world.engine) as session:
        add_many(session, 12)
    with session_scope(world.engine) as session:
        release = build_release(
            session, name="matrix", kind="sft", format="openai", data_dir=get_settings().data_dir
        )
        world._training_release = release.id  # type: ignore[attr-defined]  # cached on the shared World, which does not declare it
        return release.id or 0


def run_id(world: World) -> int:
    """A fresh pending TRL run (nothing is sent anywhere; a cancel ends it at once)."""
    with session_scope(world.engine) as session:
        run, _ = launch_run(session, release_id=release_id(world), backend="trl", base_model="/models/base")
        return run.id or 0


def _launch_form(world: World, **extra: Any) -> dict[str, Any]:
    return {"release_id": str(release_id(world)), "backend": "trl", "base_model": "/models/base", **extra}


TRAINING_ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", ROOT): Rule("admin", "page", 200, _c("GET", ROOT), invalid=[_c("GET", f"{ROOT}?release_id=abc")]),
    ("GET", f"{ROOT}/new"): Rule(
        "admin", "page", 200,
        # The valid call has no query: the matrix compares the sign-in redirect without one.
        lambda w, u: Call("GET", f"{ROOT}/new"),
        not_found=_c("GET", f"{ROOT}/new?release_id={MISSING}"),
        invalid=[
            _c("GET", f"{ROOT}/new?release_id=abc"),
            lambda w, u: Call("GET", f"{ROOT}/new?release_id={release_id(w)}&backend=nope"),
        ],
    ),
    ("POST", f"{ROOT}/runs"): Rule(
        "admin", "page", 303,
        lambda w, u: Call("POST", f"{ROOT}/runs", form=_launch_form(w)),
        not_found=lambda w, u: Call("POST", f"{ROOT}/runs", form={**_launch_form(w), "release_id": str(MISSING)}),
        invalid=[
            lambda w, u: Call("POST", f"{ROOT}/runs", form=_launch_form(w, backend="nope")),
            lambda w, u: Call("POST", f"{ROOT}/runs", form=_launch_form(w, p_n_epochs="0")),
            lambda w, u: Call("POST", f"{ROOT}/runs", form=_launch_form(w, created_by_id="1")),
            lambda w, u: Call("POST", f"{ROOT}/runs", form=_launch_form(w, release_id="abc")),
        ],
    ),
    ("GET", f"{ROOT}/runs/{{run_id}}"): Rule(
        "admin", "page", 200,
        lambda w, u: Call("GET", f"{ROOT}/runs/{run_id(w)}"),
        not_found=_c("GET", f"{ROOT}/runs/{MISSING}"),
        invalid=[_c("GET", f"{ROOT}/runs/abc")],
    ),
    ("GET", f"{ROOT}/runs/{{run_id}}/live"): Rule(
        "admin", "page", 200,
        lambda w, u: Call("GET", f"{ROOT}/runs/{run_id(w)}/live"),
        not_found=_c("GET", f"{ROOT}/runs/{MISSING}/live"),
        invalid=[_c("GET", f"{ROOT}/runs/abc/live")],
    ),
    ("POST", f"{ROOT}/runs/{{run_id}}/cancel"): Rule(
        "admin", "page", 303,
        lambda w, u: Call("POST", f"{ROOT}/runs/{run_id(w)}/cancel"),
        not_found=_c("POST", f"{ROOT}/runs/{MISSING}/cancel"),
        invalid=[_c("POST", f"{ROOT}/runs/abc/cancel")],
    ),
    ("GET", f"{ROOT}/settings"): Rule("admin", "page", 200, _c("GET", f"{ROOT}/settings")),
    ("POST", f"{ROOT}/settings"): Rule(
        "admin", "page", 303,
        _c("POST", f"{ROOT}/settings", form={"base_url": "https://ft.example.com/v1", "api_key": "sk-matrix-0123456789"}),
        invalid=[
            _c("POST", f"{ROOT}/settings", form={"base_url": "javascript:alert(1)", "api_key": "sk-matrix-0123456789"}),
            _c("POST", f"{ROOT}/settings", form={"base_url": "https://ft.example.com/v1", "api_key": "has spaces in it"}),
            _c("POST", f"{ROOT}/settings", form={"base_url": "https://ft.example.com/v1", "role": "admin"}),
        ],
    ),
    ("POST", f"{ROOT}/settings/clear"): Rule("admin", "page", 303, _c("POST", f"{ROOT}/settings/clear")),
}  # fmt: skip
