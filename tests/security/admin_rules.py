"""The admin routes' entries for the S7 route table in tests/security/routes.py.

That table owns `Rule` and `Call`; `admin_rules(Rule, Call)` builds the admin entries so the table can
do `ROUTES.update(admin_rules(Rule, Call))`. The upload entry needs a `files` field on `Call` that
`send` passes on as `files=` (a multipart body); tests/security/test_admin_rules.py checks every entry.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from app.auth.models import User
from app.conversations.models import Conversation, ImportBatch
from app.db import session_scope
from app.jobs.models import Job, JobStatus

MISSING = 999_999
UPLOAD = [("files", ("matrix.jsonl", b'{"messages": [{"role": "user", "content": "hi"}]}\n'))]
SETTINGS = {"detection_threshold": "0.5", "overlap": "1", "lease_minutes": "10"}
_names = itertools.count(1)


def _first(world: Any, model: Any) -> int:
    with session_scope(world.engine, read_only=True) as session:
        return int(session.execute(select(func.min(model.id))).scalar_one())


def _user(world: Any, username: str) -> int:
    with session_scope(world.engine, read_only=True) as session:
        return int(session.execute(select(col(User.id)).where(col(User.username) == username)).scalar_one())


def _failed_job(world: Any) -> int:
    with session_scope(world.engine) as session:
        job = Job(kind="detect", status=JobStatus.failed, error="matrix", payload={})
        session.add(job)
        session.flush()
        return int(job.id or 0)


def admin_rules(rule: Any, call: Any) -> dict[tuple[str, str], Any]:
    """(method, path) -> Rule for every admin route (admins only; pages redirect anonymous callers)."""

    def c(method: str, url: str, **kw: Any) -> Any:
        return lambda w, u: call(method, url, **kw)

    def page(ok: int, valid: Any, **kw: Any) -> Any:
        return rule("admin", "page", ok, valid, **kw)

    def by_id(method: str, template: str, make_id: Any, **kw: Any) -> dict[str, Any]:
        return {
            "valid": lambda w, u: call(method, template.format(make_id(w)), **kw),
            "not_found": c(method, template.format(MISSING), **kw),
            "invalid": [c(method, template.format("abc"), **kw)],
        }

    def user_action(action: str, form: dict[str, str], bad: list[dict[str, str]]) -> Any:
        template = f"/admin/users/{{}}/{action}"
        ids = by_id("POST", template, lambda w: _user(w, "rev2"), form=form)
        ids["invalid"] += [
            lambda w, u, b=b: call("POST", template.format(_user(w, "rev2")), form=b) for b in bad
        ]
        return page(303, ids["valid"], not_found=ids["not_found"], invalid=ids["invalid"])

    job = by_id("GET", "/admin/jobs/{}", _failed_job)
    status = by_id("GET", "/admin/jobs/{}/status", _failed_job)
    retry = by_id("POST", "/admin/jobs/{}/retry", _failed_job)
    batch = by_id("GET", "/admin/imports/{}", lambda w: _first(w, ImportBatch))
    conversation = by_id("GET", "/admin/conversations/{}", lambda w: _first(w, Conversation))
    pair = by_id("GET", "/admin/pairs/{}", lambda w: w.pairs[0])
    return {
        ("GET", "/admin"): page(200, c("GET", "/admin")),
        ("GET", "/admin/imports/new"): page(200, c("GET", "/admin/imports/new")),
        ("POST", "/admin/imports"): page(303, c("POST", "/admin/imports", files=UPLOAD), invalid=[
            c("POST", "/admin/imports", files=UPLOAD, form={"role": "admin"}),
            c("POST", "/admin/imports", files=UPLOAD, form={"source": "s" * 201}),
            c("POST", "/admin/imports", form={"source": "no files"}),
        ]),
        ("GET", "/admin/imports"): page(200, c("GET", "/admin/imports"), invalid=[
            c("GET", "/admin/imports", params={"after": 0}), c("GET", "/admin/imports", params={"sort": "id"}),
        ]),
        ("GET", "/admin/imports/{batch_id}"): page(200, **batch),
        ("GET", "/admin/jobs/{job_id}"): page(200, **job),
        ("GET", "/admin/jobs/{job_id}/status"): page(200, **status),
        ("POST", "/admin/jobs/{job_id}/retry"): page(303, **retry),
        ("GET", "/admin/conversations"): page(200, c("GET", "/admin/conversations"), invalid=[
            c("GET", "/admin/conversations", params={"format": "word"}),
            c("GET", "/admin/conversations", params={"after": 0}),
            c("GET", "/admin/conversations", params={"order": "title"}),
        ]),
        ("GET", "/admin/conversations/{conversation_id}"): page(200, **conversation),
        ("GET", "/admin/pairs"): page(200, c("GET", "/admin/pairs"), invalid=[
            c("GET", "/admin/pairs", params={"status": "bogus"}),
            c("GET", "/admin/pairs", params={"min_score": 2}),
            c("GET", "/admin/pairs", params={"reviewer": "nobody"}),
        ]),
        ("GET", "/admin/pairs/{pair_id}"): page(200, **pair),
        ("GET", "/admin/users"): page(200, c("GET", "/admin/users"), invalid=[
            c("GET", "/admin/users", params={"notice": "<b>x</b>"}),
        ]),
        ("POST", "/admin/users"): page(
            303,
            lambda w, u: call("POST", "/admin/users", form={
                "username": f"matrix{next(_names)}", "role": "reviewer", "password": "a long enough password"}),
            invalid=[
                c("POST", "/admin/users", form={"username": "a b", "role": "reviewer", "password": "long enough pw"}),
                c("POST", "/admin/users", form={"username": "ok", "role": "owner", "password": "long enough pw"}),
                c("POST", "/admin/users", form={"username": "ok", "role": "admin", "password": "long enough pw",
                                                "is_active": "true"}),
            ],
        ),
        ("POST", "/admin/users/{user_id}/active"): user_action("active", {"active": "true"}, [{"active": "maybe"}]),
        ("POST", "/admin/users/{user_id}/password"): user_action(
            "password", {"password": "another long password"}, [{"password": "short"}, {}]
        ),
        ("POST", "/admin/users/{user_id}/role"): user_action("role", {"role": "reviewer"}, [{"role": "root"}]),
        ("GET", "/admin/settings"): page(200, c("GET", "/admin/settings"), invalid=[
            c("GET", "/admin/settings", params={"notice": "hacked"}),
        ]),
        ("POST", "/admin/settings"): page(303, c("POST", "/admin/settings", form=SETTINGS), invalid=[
            c("POST", "/admin/settings", form={**SETTINGS, "detection_threshold": "2"}),
            c("POST", "/admin/settings", form={**SETTINGS, "secret_key": "x"}),
        ]),
        ("POST", "/admin/settings/redetect"): page(303, c("POST", "/admin/settings/redetect")),
    }  # fmt: skip
