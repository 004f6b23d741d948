"""The evaluation routes' rows for the S7 route matrix (tests/security/routes.py).

The makers build one evaluation per world (answers stored directly: nothing is generated) and lease a
comparison for the caller when a call needs one."""

from __future__ import annotations

from typing import Any

from app.db import session_scope
from app.evaluation import queue
from app.evaluation.models import EvalAnswer, EvalStatus
from app.evaluation.service import (
    CandidateIn,
    EvaluationIn,
    candidates_of,
    create_evaluation,
    get_evaluation,
    open_comparisons,
    prompts_of,
    set_status,
)
from tests.security.routes import MISSING, Call, Rule, World, _c
from tests.training.matrix_routes import release_id
from tests.web_helpers import get_user

ADMIN = "/admin/evaluations"
API = "/api/v1/evaluations"


def evaluation_id(world: World) -> int:
    """One ready evaluation of two candidates over the matrix release, answers in, comparisons open."""
    cached = getattr(world, "_evaluation", None)
    if cached is not None:
        return int(cached)
    data = EvaluationIn(
        name="matrix", release_id=release_id(world), split="all",
        candidates=[CandidateIn(label="a", spec="openai:model-a"), CandidateIn(label="b", spec="openai:model-b")],
    )  # fmt: skip
    with session_scope(world.engine) as session:
        evaluation, _ = create_evaluation(session, data=data)
        eid = evaluation.id or 0
    with session_scope(world.engine) as session:
        for candidate in candidates_of(session, evaluation_id=eid):
            for prompt in prompts_of(session, evaluation_id=eid):
                session.add(EvalAnswer(evaluation_id=eid, prompt_id=prompt.id or 0, candidate_id=candidate.id or 0,
                                       text=f"answer of {candidate.label}"))  # fmt: skip
        session.flush()
        open_comparisons(session, evaluation_id=eid)
        set_status(session, evaluation_id=eid, status=EvalStatus.ready)
    world._evaluation = eid  # type: ignore[attr-defined]  # cached on the shared World, which does not declare it
    return eid


def comparison_for(world: World, username: str) -> int:
    """Lease the next comparison for `username` (as POST .../next would) and return its id."""
    eid = evaluation_id(world)
    with session_scope(world.engine) as session:
        lease = queue.lease_next(
            session,
            evaluation=get_evaluation(session, evaluation_id=eid),
            reviewer=get_user(session, username),
        )
        assert lease is not None, "the comparison queue ran dry"
        return lease.comparison_id


def _form(world: World, **extra: Any) -> dict[str, Any]:
    return {"name": "matrix form", "release_id": str(release_id(world)), "split": "all",
            "candidates": "a=openai:model-a\nb=openai:model-b", **extra}  # fmt: skip


def _judge(world: World, username: str, form: dict[str, Any]) -> Call:
    eid = evaluation_id(world)
    return Call("POST", f"/evaluations/{eid}/review/{comparison_for(world, username)}/judge", form=form)


def _api_judge(world: World, username: str, body: Any) -> Call:
    eid = evaluation_id(world)
    return Call("POST", f"{API}/{eid}/comparisons/{comparison_for(world, username)}/judgments", json=body)


EVALUATION_ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", "/evaluations"): Rule("user", "page", 200, _c("GET", "/evaluations")),
    ("GET", "/evaluations/{evaluation_id}/review"): Rule(
        "user", "page", 200,
        lambda w, u: Call("GET", f"/evaluations/{evaluation_id(w)}/review"),
        not_found=_c("GET", f"/evaluations/{MISSING}/review"),
        invalid=[_c("GET", "/evaluations/abc/review")],
    ),
    ("POST", "/evaluations/{evaluation_id}/review/next"): Rule(
        "user", "page", 200,
        lambda w, u: Call("POST", f"/evaluations/{evaluation_id(w)}/review/next"),
        not_found=_c("POST", f"/evaluations/{MISSING}/review/next"),
        invalid=[_c("POST", "/evaluations/abc/review/next")],
    ),
    ("POST", "/evaluations/{evaluation_id}/review/{comparison_id}/judge"): Rule(
        "user", "page", 200,
        lambda w, u: _judge(w, u, {"verdict": "tie"}),
        not_found=lambda w, u: Call("POST", f"/evaluations/{evaluation_id(w)}/review/{MISSING}/judge", form={"verdict": "tie"}),
        invalid=[
            lambda w, u: _judge(w, u, {"verdict": "first"}),
            lambda w, u: _judge(w, u, {}),
            lambda w, u: _judge(w, u, {"verdict": "tie", "patterns_left": ["no-such-pattern"]}),
            lambda w, u: Call("POST", f"/evaluations/{evaluation_id(w)}/review/abc/judge", form={"verdict": "tie"}),
        ],
    ),
    ("GET", ADMIN): Rule("admin", "page", 200, _c("GET", ADMIN)),
    ("GET", f"{ADMIN}/new"): Rule(
        "admin", "page", 200, _c("GET", f"{ADMIN}/new"),
        invalid=[_c("GET", f"{ADMIN}/new?release_id=abc"), _c("GET", f"{ADMIN}/new?from_run=abc")],
    ),
    ("POST", ADMIN): Rule(
        "admin", "page", 303,
        lambda w, u: Call("POST", ADMIN, form=_form(w)),
        not_found=lambda w, u: Call("POST", ADMIN, form=_form(w, release_id=str(MISSING))),
        invalid=[
            lambda w, u: Call("POST", ADMIN, form=_form(w, split="train")),
            lambda w, u: Call("POST", ADMIN, form=_form(w, candidates="only=openai:one")),
            lambda w, u: Call("POST", ADMIN, form=_form(w, release_id="abc")),
            lambda w, u: Call("POST", ADMIN, form=_form(w, created_by_id="1")),
            lambda w, u: Call("POST", ADMIN, form=_form(w, overlap="0")),
        ],
    ),
    ("GET", f"{ADMIN}/{{evaluation_id}}"): Rule(
        "admin", "page", 200,
        lambda w, u: Call("GET", f"{ADMIN}/{evaluation_id(w)}"),
        not_found=_c("GET", f"{ADMIN}/{MISSING}"),
        invalid=[_c("GET", f"{ADMIN}/abc")],
    ),
    ("GET", f"{ADMIN}/{{evaluation_id}}/live"): Rule(
        "admin", "page", 200,
        lambda w, u: Call("GET", f"{ADMIN}/{evaluation_id(w)}/live"),
        not_found=_c("GET", f"{ADMIN}/{MISSING}/live"),
        invalid=[_c("GET", f"{ADMIN}/abc/live")],
    ),
    ("GET", f"{ADMIN}/{{evaluation_id}}/report.json"): Rule(
        "admin", "page", 200,
        lambda w, u: Call("GET", f"{ADMIN}/{evaluation_id(w)}/report.json"),
        not_found=_c("GET", f"{ADMIN}/{MISSING}/report.json"),
        invalid=[_c("GET", f"{ADMIN}/abc/report.json")],
    ),
    ("POST", f"{ADMIN}/{{evaluation_id}}/judge"): Rule(
        "admin", "page", 303,
        lambda w, u: w.with_provider(Call("POST", f"{ADMIN}/{evaluation_id(w)}/judge", form={"limit": "5"})),
        not_found=lambda w, u: w.with_provider(Call("POST", f"{ADMIN}/{MISSING}/judge", form={"limit": "5"})),
        invalid=[
            lambda w, u: w.with_provider(Call("POST", f"{ADMIN}/{evaluation_id(w)}/judge", form={"limit": "0"})),
            lambda w, u: w.with_provider(Call("POST", f"{ADMIN}/{evaluation_id(w)}/judge", form={"limit": "x"})),
            _c("POST", f"{ADMIN}/abc/judge", form={"limit": "5"}),
        ],
    ),
    ("POST", f"{ADMIN}/{{evaluation_id}}/rubric"): Rule(
        "admin", "page", 303,
        lambda w, u: Call("POST", f"{ADMIN}/{evaluation_id(w)}/rubric", form={"text": "Prefer tested answers."}),
        not_found=_c("POST", f"{ADMIN}/{MISSING}/rubric", form={"text": "x"}),
        invalid=[
            lambda w, u: Call("POST", f"{ADMIN}/{evaluation_id(w)}/rubric", form={"text": " "}),
            lambda w, u: Call("POST", f"{ADMIN}/{evaluation_id(w)}/rubric", form={"reset": "maybe"}),
            _c("POST", f"{ADMIN}/abc/rubric", form={"text": "x"}),
        ],
    ),
    ("POST", f"{API}/{{evaluation_id}}/next"): Rule(
        "user", "api", 200,
        lambda w, u: Call("POST", f"{API}/{evaluation_id(w)}/next"),
        not_found=_c("POST", f"{API}/{MISSING}/next"),
        invalid=[_c("POST", f"{API}/abc/next")],
    ),
    ("POST", f"{API}/{{evaluation_id}}/comparisons/{{comparison_id}}/judgments"): Rule(
        "user", "api", 201,
        lambda w, u: _api_judge(w, u, {"verdict": "tie"}),
        not_found=lambda w, u: Call("POST", f"{API}/{evaluation_id(w)}/comparisons/{MISSING}/judgments", json={"verdict": "tie"}),
        invalid=[
            lambda w, u: _api_judge(w, u, {"verdict": "first"}),
            lambda w, u: _api_judge(w, u, {}),
            lambda w, u: _api_judge(w, u, {"verdict": "tie", "reviewer_id": 1}),
            lambda w, u: _api_judge(w, u, {"verdict": "tie", "patterns_left": ["no-such-pattern"]}),
        ],
    ),
    ("GET", f"{API}/{{evaluation_id}}/judge/rubric"): Rule(
        "admin", "api", 200,
        lambda w, u: Call("GET", f"{API}/{evaluation_id(w)}/judge/rubric"),
        not_found=_c("GET", f"{API}/{MISSING}/judge/rubric"),
        invalid=[_c("GET", f"{API}/abc/judge/rubric")],
    ),
    ("PUT", f"{API}/{{evaluation_id}}/judge/rubric"): Rule(
        "admin", "api", 200,
        lambda w, u: Call("PUT", f"{API}/{evaluation_id(w)}/judge/rubric", json={"text": "Prefer tested answers."}),
        not_found=_c("PUT", f"{API}/{MISSING}/judge/rubric", json={"text": "x"}),
        invalid=[
            lambda w, u: Call("PUT", f"{API}/{evaluation_id(w)}/judge/rubric", json={"text": " "}),
            lambda w, u: Call("PUT", f"{API}/{evaluation_id(w)}/judge/rubric", json={}),
            lambda w, u: Call("PUT", f"{API}/{evaluation_id(w)}/judge/rubric", json={"text": "x", "version": 3}),
            _c("PUT", f"{API}/abc/judge/rubric", json={"text": "x"}),
        ],
    ),
    ("POST", f"{API}/{{evaluation_id}}/judge"): Rule(
        "admin", "api", 202,
        lambda w, u: w.with_provider(Call("POST", f"{API}/{evaluation_id(w)}/judge", json={"limit": 5})),
        not_found=lambda w, u: w.with_provider(Call("POST", f"{API}/{MISSING}/judge", json={"limit": 5})),
        invalid=[
            lambda w, u: w.with_provider(Call("POST", f"{API}/{evaluation_id(w)}/judge", json={"limit": 0})),
            lambda w, u: w.with_provider(Call("POST", f"{API}/{evaluation_id(w)}/judge", json={"limit": "x"})),
            lambda w, u: w.with_provider(Call("POST", f"{API}/{evaluation_id(w)}/judge", json={"rubric_id": 1})),
            _c("POST", f"{API}/abc/judge", json={"limit": 5}),
        ],
    ),
    ("GET", f"{API}/{{evaluation_id}}"): Rule(
        "admin", "api", 200,
        lambda w, u: Call("GET", f"{API}/{evaluation_id(w)}"),
        not_found=_c("GET", f"{API}/{MISSING}"),
        invalid=[_c("GET", f"{API}/abc")],
    ),
}  # fmt: skip
