"""The expectation table of every route: who may call it, a valid call, an unknown-id call, a bad-input call.

A route of the app that is missing here fails `test_matrix.py::TestRouteTable`: add it with its rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col
from starlette.testclient import TestClient

from app.assist.models import Suggestion
from app.assist.provider import save_provider
from app.auth.models import ApiToken
from app.conversations.models import Turn
from app.db import session_scope
from app.pairs.leak_check import check_unchecked_pairs
from app.pairs.models import Pair, PairStatus
from app.review import queue
from app.review.models import Assignment, Verdict
from app.review.service import JudgmentInput, submit
from tests.security.admin_rules import admin_rules
from tests.web_helpers import PASSWORD, get_user, make_token, make_user, seed_samples

MISSING = 999_999
_BAND = {"low": "0.4", "high": "0.6", "limit": "5"}
_PROVIDER_FORM = {"base_url": "http://127.0.0.1:9/v1", "model": "stand-in", "api_key": "sk-matrix-key-0123"}


@dataclass
class World:
    """A seeded database with a reviewer, a second reviewer and an admin, each with an API token."""

    engine: Engine
    pairs: list[int]
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, engine: Engine) -> World:
        pairs = seed_samples(engine)
        world = cls(engine=engine, pairs=pairs)
        for name, role in (("rev", "reviewer"), ("rev2", "reviewer"), ("adm", "admin")):
            make_user(engine, name, role=role)
            world.tokens[name] = make_token(engine, name)
        return world

    def job(self) -> int:
        """A finished job (as the judge or an import would leave one)."""
        from app.jobs.models import Job, JobStatus

        with session_scope(self.engine) as session:
            job = Job(kind="detect", status=JobStatus.succeeded, progress=3, total=3, result={"pairs": 3})
            session.add(job)
            session.flush()
            return int(job.id or 0)

    def lease(self, username: str) -> int:
        """Lease the next pair for `username` (as POST /review/next would) and return its id."""
        with session_scope(self.engine) as session:
            assignment = queue.lease_next(session, reviewer=get_user(session, username))
            assert assignment is not None, "the queue ran dry; seed more pairs"
            return assignment.pair_id

    def served(self, username: str, action: str, form: dict[str, Any] | None = None) -> Call:
        """A screen action on a freshly leased pair, carrying the token its page would have."""
        pair_id = self.lease(username)
        with session_scope(self.engine, read_only=True) as session:
            lease = session.execute(
                select(Assignment).where(
                    col(Assignment.pair_id) == pair_id,
                    col(Assignment.reviewer_id) == get_user(session, username).id,
                )
            ).scalar_one()
            token = lease.token or ""
        return Call("POST", f"/review/{pair_id}/{action}", form={**(form or {}), "token": token})

    def conflict(self) -> int:
        """A pair put into conflict (as two disagreeing judgments would), for the adjudication routes."""
        from app.pairs.models import Pair

        with session_scope(self.engine) as session:
            pair = (
                session.execute(
                    select(Pair).where(col(Pair.status) == PairStatus.candidate).order_by(col(Pair.id).desc())
                )
                .scalars()
                .first()
            )
            assert pair is not None, "no candidate pair left; seed more pairs"
            pair.status = PairStatus.conflict
            session.add(pair)
            return int(pair.id or 0)

    def decided(self, *, control: bool = False) -> int:
        """A judged pair (a tie), for the control routes; `control`: marked as one."""
        from app.review.models import ControlPair

        pair_id = self.conflict()
        with session_scope(self.engine) as session:
            session.get_one(Pair, pair_id).status = PairStatus.tie
            if control:
                session.add(ControlPair(pair_id=pair_id, verdict="tie"))
        return pair_id

    def judgment(self, username: str, verdict: Verdict = Verdict.second) -> int:
        """A judgment of `username` on a freshly leased pair."""
        pair_id = self.lease(username)
        with session_scope(self.engine) as session:
            judgment = submit(session, reviewer=get_user(session, username), pair_id=pair_id,
                              data=JudgmentInput(verdict=verdict))  # fmt: skip
            assert judgment.id is not None
            return judgment.id

    def leaky_lease(self, username: str, text: str = "Good catch! Use keyset pagination.") -> int:
        """A leased pair whose revised answer is `text` (by default one the transform fixes)."""
        pair_id = self.lease(username)
        with session_scope(self.engine) as session:
            pair = session.get_one(Pair, pair_id)
            session.get_one(Turn, pair.second_turn_id).text = text
            pair.swapped, pair.leak_detector = False, None
            session.flush()
            check_unchecked_pairs(session.connection())
        return pair_id

    def suggestion(self, username: str) -> tuple[int, int]:
        """A leased pair with one pending suggestion: (pair id, suggestion id)."""
        pair_id = self.lease(username)
        with session_scope(self.engine) as session:
            suggestion = Suggestion(
                pair_id=pair_id, field="chosen", text="Use keysets.", base_text="x", model="m"
            )
            session.add(suggestion)
            session.flush()
            return pair_id, int(suggestion.id or 0)

    def with_provider(self, call: Call) -> Call:
        """`call`, once a suggestion provider is saved."""
        with session_scope(self.engine) as session:
            save_provider(session, base_url="http://127.0.0.1:9/v1", model="stand-in", api_key="sk-matrix-key-0123",
                          user_id=None)  # fmt: skip
        return call

    def token_id(self, username: str) -> int:
        make_token(self.engine, username, name="to revoke")
        with session_scope(self.engine, read_only=True) as session:
            user = get_user(session, username)
            token_id = (
                session.execute(
                    select(col(ApiToken.id))
                    .where(col(ApiToken.user_id) == user.id)
                    .order_by(col(ApiToken.id).desc())
                )
                .scalars()
                .first()
            )
            assert token_id is not None
            return token_id

    def release(self, username: str) -> int:
        """A built, ready release of the seeded (candidate) pairs."""
        from app.config import get_settings
        from app.releases.service import build_release

        with session_scope(self.engine) as session:
            release = build_release(
                session, name="matrix release", kind="dpo", format="openai", status="candidate",
                data_dir=get_settings().data_dir, created_by_id=get_user(session, username).id,
            )  # fmt: skip
            assert release.id is not None
            return release.id

    def detection_model(self, *, active: bool = False) -> int:
        """A stored scorer model, optionally the active one (it ranks every seeded pair above the threshold)."""
        from app.pairs.models import DetectionModel

        with session_scope(self.engine) as session:
            model = DetectionModel(bias=3.0, weights={"praise": -1.0}, trained_on=40, held_back=10,
                                   precision=0.9, recall=0.8, active=active)  # fmt: skip
            session.add(model)
            session.flush()
            assert model.id is not None
            return model.id

    def taxonomy_form(self) -> dict[str, list[str]]:
        from app.patterns.service import list_patterns

        with session_scope(self.engine, read_only=True) as session:
            patterns = list_patterns(session)
        return {
            "slug": [p.slug for p in patterns],
            "name": [p.name for p in patterns],
            "description": [p.description for p in patterns],
            "hotkey": [p.hotkey for p in patterns],
            "active": [p.slug for p in patterns if p.is_active],
        }


@dataclass
class Call:
    method: str
    url: str
    form: dict[str, Any] | None = None
    json: Any = None
    params: dict[str, Any] | None = None
    files: list[Any] | None = None


Maker = Callable[[World, str], Call]


@dataclass
class Rule:
    """access: public | user | admin; kind: page | api; ok: status of a valid call by a caller with access."""

    access: str
    kind: str
    ok: int
    valid: Maker
    not_found: Maker | None = None
    invalid: list[Maker] = field(default_factory=list)
    # Status for a signed-in caller where it differs from `ok` (public pages that redirect signed-in users).
    ok_signed_in: int | None = None


def _c(method: str, url: str, **kw: Any) -> Maker:
    return lambda w, u: Call(method, url, **kw)


def _judge_form(verdict: str = "tie") -> dict[str, Any]:
    return {"verdict": verdict}


ROUTES: dict[tuple[str, str], Rule] = {
    ("MOUNT", "/static"): Rule(
        "public", "page", 200, _c("GET", "/static/app.js"), not_found=_c("GET", "/static/nothing-here.js")
    ),
    ("GET", "/healthz"): Rule("public", "api", 200, _c("GET", "/healthz")),
    ("GET", "/login"): Rule("public", "page", 200, _c("GET", "/login"), ok_signed_in=303),
    ("POST", "/login"): Rule(
        "public",
        "page",
        401,
        _c("POST", "/login", form={"username": "nobody", "password": "wrong password"}),
        invalid=[
            _c("POST", "/login", form={"username": "x" * 65, "password": PASSWORD}),
            _c("POST", "/login", form={"password": PASSWORD}),
        ],
    ),
    ("POST", "/logout"): Rule("user", "page", 303, _c("POST", "/logout")),
    ("GET", "/account/tokens"): Rule("user", "page", 200, _c("GET", "/account/tokens")),
    ("POST", "/account/tokens"): Rule(
        "user",
        "page",
        200,
        _c("POST", "/account/tokens", form={"name": "matrix"}),
        invalid=[
            _c("POST", "/account/tokens", form={}),
            _c("POST", "/account/tokens", form={"name": "  "}),
            _c("POST", "/account/tokens", form={"name": "n" * 101}),
        ],
    ),
    ("POST", "/account/tokens/{token_id}/revoke"): Rule(
        "user",
        "page",
        303,
        lambda w, u: Call("POST", f"/account/tokens/{w.token_id(u)}/revoke"),
        not_found=_c("POST", f"/account/tokens/{MISSING}/revoke"),
        invalid=[_c("POST", "/account/tokens/abc/revoke")],
    ),
    ("GET", "/"): Rule("user", "page", 303, _c("GET", "/")),
    ("GET", "/review"): Rule("user", "page", 200, _c("GET", "/review")),
    ("POST", "/review/next"): Rule("user", "page", 200, _c("POST", "/review/next")),
    ("POST", "/review/{pair_id}/judge"): Rule(
        "user",
        "page",
        200,
        lambda w, u: w.served(u, "judge", _judge_form()),
        not_found=_c("POST", f"/review/{MISSING}/judge", form=_judge_form()),
        invalid=[
            lambda w, u: Call("POST", f"/review/{w.lease(u)}/judge", form=_judge_form("first")),
            lambda w, u: Call("POST", f"/review/{w.lease(u)}/judge", form={}),
            lambda w, u: Call(
                "POST",
                f"/review/{w.lease(u)}/judge",
                form={"verdict": "tie", "patterns_left": ["no-such-pattern"]},
            ),
            lambda w, u: Call(
                "POST", f"/review/{w.lease(u)}/judge", form={"verdict": "tie", "edited_side": "middle"}
            ),
            _c("POST", "/review/abc/judge", form=_judge_form()),
        ],
    ),
    ("GET", "/review/{pair_id}/diff"): Rule(
        "user",
        "page",
        200,
        lambda w, u: Call("GET", f"/review/{w.lease(u)}/diff"),
        not_found=_c("GET", f"/review/{MISSING}/diff"),
        invalid=[_c("GET", "/review/abc/diff")],
    ),
    ("POST", "/review/{pair_id}/skip"): Rule(
        "user",
        "page",
        200,
        lambda w, u: w.served(u, "skip"),
        not_found=_c("POST", f"/review/{MISSING}/skip"),
        invalid=[_c("POST", "/review/abc/skip")],
    ),
    ("GET", "/review/{pair_id}/standalone"): Rule(
        "user",
        "page",
        200,
        lambda w, u: Call("GET", f"/review/{w.lease(u)}/standalone"),
        not_found=_c("GET", f"/review/{MISSING}/standalone"),
        invalid=[_c("GET", "/review/abc/standalone")],
    ),
    ("POST", "/review/{pair_id}/standalone/transform"): Rule(
        "user",
        "page",
        200,
        lambda w, u: Call("POST", f"/review/{w.leaky_lease(u)}/standalone/transform"),
        not_found=_c("POST", f"/review/{MISSING}/standalone/transform"),
        # A pair whose revised answer has no acknowledgement to remove: the transform does not apply.
        invalid=[
            lambda w, u: Call("POST", f"/review/{w.leaky_lease(u, text='Use keysets.')}/standalone/transform")
        ],
    ),
    ("POST", "/review/{pair_id}/standalone/prompt"): Rule(
        "user",
        "page",
        200,
        lambda w, u: Call("POST", f"/review/{w.lease(u)}/standalone/prompt", form={"text": "Q on 50M rows?"}),
        not_found=_c("POST", f"/review/{MISSING}/standalone/prompt", form={"text": "Q?"}),
        invalid=[lambda w, u: Call("POST", f"/review/{w.lease(u)}/standalone/prompt", form={"text": ""})],
    ),
    ("POST", "/review/{pair_id}/suggestions/{suggestion_id}/{decision}"): Rule(
        "user",
        "page",
        200,
        lambda w, u: Call("POST", "/review/{}/suggestions/{}/accept".format(*w.suggestion(u))),
        not_found=lambda w, u: Call("POST", "/review/{}/suggestions/{}/maybe".format(*w.suggestion(u))),
        invalid=[lambda w, u: Call("POST", f"/review/{w.lease(u)}/suggestions/abc/accept")],
    ),
    ("GET", "/admin/suggestions"): Rule("admin", "page", 200, _c("GET", "/admin/suggestions")),
    ("POST", "/admin/suggestions/provider"): Rule(
        "admin",
        "page",
        303,
        _c("POST", "/admin/suggestions/provider", form=_PROVIDER_FORM),
        invalid=[
            _c("POST", "/admin/suggestions/provider", form={**_PROVIDER_FORM, "base_url": "ftp://x"}),
            _c("POST", "/admin/suggestions/provider", form={"base_url": "http://127.0.0.1:9/v1"}),
        ],
    ),
    ("POST", "/admin/suggestions/run"): Rule(
        "admin",
        "page",
        303,
        lambda w, u: w.with_provider(Call("POST", "/admin/suggestions/run", form={"limit": "5"})),
        invalid=[lambda w, u: w.with_provider(Call("POST", "/admin/suggestions/run", form={"limit": "0"}))],
    ),
    ("POST", "/review/undo"): Rule("user", "page", 200, _c("POST", "/review/undo")),
    ("GET", "/review/history"): Rule("user", "page", 200, _c("GET", "/review/history")),
    ("GET", "/review/judgments/{judgment_id}"): Rule(
        "user",
        "page",
        200,
        lambda w, u: Call("GET", f"/review/judgments/{w.judgment(u)}"),
        not_found=_c("GET", f"/review/judgments/{MISSING}"),
        invalid=[_c("GET", "/review/judgments/abc")],
    ),
    ("POST", "/review/judgments/{judgment_id}"): Rule(
        "user",
        "page",
        303,
        lambda w, u: Call(
            "POST", f"/review/judgments/{w.judgment(u)}", form={"version": "1", "comment": "ok"}
        ),
        not_found=_c("POST", f"/review/judgments/{MISSING}", form={"version": "1"}),
        invalid=[
            lambda w, u: Call("POST", f"/review/judgments/{w.judgment(u)}", form={"version": "one"}),
            lambda w, u: Call("POST", f"/review/judgments/{w.judgment(u)}", form={}),
            lambda w, u: Call(
                "POST", f"/review/judgments/{w.judgment(u)}", form={"version": "1", "comment": "c" * 5001}
            ),
        ],
    ),
    ("GET", "/api/v1/pairs"): Rule(
        "user",
        "api",
        200,
        _c("GET", "/api/v1/pairs"),
        invalid=[
            _c("GET", "/api/v1/pairs", params={"limit": 0}),
            _c("GET", "/api/v1/pairs", params={"limit": 501}),
            _c("GET", "/api/v1/pairs", params={"after": -1}),
            _c("GET", "/api/v1/pairs", params={"after": 9223372036854775808}),
            _c("GET", "/api/v1/pairs", params={"status": "bogus"}),
            _c("GET", "/api/v1/pairs", params={"min_score": 2}),
        ],
    ),
    ("GET", "/api/v1/pairs/{pair_id}"): Rule(
        "user",
        "api",
        200,
        lambda w, u: Call("GET", f"/api/v1/pairs/{w.lease(u)}"),
        not_found=_c("GET", f"/api/v1/pairs/{MISSING}"),
        invalid=[
            _c("GET", "/api/v1/pairs/abc"),
            _c("GET", "/api/v1/pairs/0"),
            _c("GET", "/api/v1/pairs/9223372036854775808"),
        ],
    ),
    ("POST", "/api/v1/review/next"): Rule("user", "api", 200, _c("POST", "/api/v1/review/next")),
    ("POST", "/api/v1/pairs/{pair_id}/judgments"): Rule(
        "user",
        "api",
        201,
        lambda w, u: Call("POST", f"/api/v1/pairs/{w.lease(u)}/judgments", json={"verdict": "tie"}),
        not_found=_c("POST", f"/api/v1/pairs/{MISSING}/judgments", json={"verdict": "tie"}),
        invalid=[
            lambda w, u: Call("POST", f"/api/v1/pairs/{w.lease(u)}/judgments", json={"verdict": "first"}),
            lambda w, u: Call("POST", f"/api/v1/pairs/{w.lease(u)}/judgments", json={}),
            lambda w, u: Call(
                "POST", f"/api/v1/pairs/{w.lease(u)}/judgments", json={"verdict": "tie", "reviewer_id": 1}
            ),
            lambda w, u: Call(
                "POST",
                f"/api/v1/pairs/{w.lease(u)}/judgments",
                json={"verdict": "tie", "patterns_left": ["no-such-pattern"]},
            ),
            _c("POST", "/api/v1/pairs/abc/judgments", json={"verdict": "tie"}),
            _c("POST", "/api/v1/pairs/2147483648/judgments", json={"verdict": "tie"}),
        ],
    ),
    ("PUT", "/api/v1/pairs/{pair_id}/gold-prompt"): Rule(
        "user",
        "api",
        200,
        lambda w, u: Call("PUT", f"/api/v1/pairs/{w.lease(u)}/gold-prompt", json={"text": "Q on 50M rows?"}),
        not_found=_c("PUT", f"/api/v1/pairs/{MISSING}/gold-prompt", json={"text": "Q?"}),
        invalid=[
            lambda w, u: Call("PUT", f"/api/v1/pairs/{w.lease(u)}/gold-prompt", json={"text": ""}),
            lambda w, u: Call("PUT", f"/api/v1/pairs/{w.lease(u)}/gold-prompt", json={"text": "Q", "x": 1}),
            _c("PUT", "/api/v1/pairs/abc/gold-prompt", json={"text": "Q?"}),
        ],
    ),
    ("GET", "/api/v1/pairs/{pair_id}/suggestions"): Rule(
        "user",
        "api",
        200,
        lambda w, u: Call("GET", f"/api/v1/pairs/{w.suggestion(u)[0]}/suggestions"),
        not_found=_c("GET", f"/api/v1/pairs/{MISSING}/suggestions"),
        invalid=[_c("GET", "/api/v1/pairs/abc/suggestions")],
    ),
    ("POST", "/api/v1/pairs/{pair_id}/suggestions/{suggestion_id}/decision"): Rule(
        "user",
        "api",
        200,
        lambda w, u: Call(
            "POST",
            "/api/v1/pairs/{}/suggestions/{}/decision".format(*w.suggestion(u)),
            json={"decision": "accept"},
        ),
        not_found=lambda w, u: Call(
            "POST", f"/api/v1/pairs/{w.lease(u)}/suggestions/{MISSING}/decision", json={"decision": "accept"}
        ),
        invalid=[
            lambda w, u: Call(
                "POST",
                "/api/v1/pairs/{}/suggestions/{}/decision".format(*w.suggestion(u)),
                json={"decision": "x"},
            ),
            lambda w, u: Call("POST", f"/api/v1/pairs/{w.lease(u)}/suggestions/abc/decision", json={}),
        ],
    ),
    ("GET", "/api/v1/openapi.json"): Rule("public", "api", 200, _c("GET", "/api/v1/openapi.json")),
    ("GET", "/admin/patterns"): Rule("admin", "page", 200, _c("GET", "/admin/patterns")),
    ("GET", "/admin/detection"): Rule(
        "admin",
        "page",
        200,
        _c("GET", "/admin/detection"),
        invalid=[_c("GET", "/admin/detection", params={"notice": "bogus"})],
    ),
    ("POST", "/admin/detection/train"): Rule(
        "admin", "page", 303, _c("POST", "/admin/detection/train", form={})
    ),
    ("POST", "/admin/detection/rules"): Rule(
        "admin", "page", 303, _c("POST", "/admin/detection/rules", form={})
    ),
    ("POST", "/admin/detection/rollback"): Rule(
        "admin",
        "page",
        303,
        lambda w, u: Call(
            "POST", "/admin/detection/rollback", form={"_": str(w.detection_model(active=True))}
        ),
    ),
    ("POST", "/admin/detection/models/{model_id}/activate"): Rule(
        "admin",
        "page",
        303,
        lambda w, u: Call("POST", f"/admin/detection/models/{w.detection_model()}/activate", form={}),
        not_found=_c("POST", f"/admin/detection/models/{MISSING}/activate", form={}),
        invalid=[_c("POST", "/admin/detection/models/abc/activate", form={})],
    ),
    ("POST", "/admin/detection/second-opinions"): Rule(
        "admin",
        "page",
        303,
        lambda w, u: w.with_provider(Call("POST", "/admin/detection/second-opinions", form=_BAND)),
        invalid=[
            lambda w, u: w.with_provider(
                Call("POST", "/admin/detection/second-opinions", form={**_BAND, "low": "0.7"})
            ),
            lambda w, u: w.with_provider(
                Call("POST", "/admin/detection/second-opinions", form={**_BAND, "limit": "0"})
            ),
        ],
    ),
    ("GET", "/admin/releases/count"): Rule(
        "admin",
        "page",
        200,
        _c("GET", "/admin/releases/count"),
        invalid=[
            _c("GET", "/admin/releases/count", params={"status": "deleted"}),
            _c("GET", "/admin/releases/count", params={"min_score": "high"}),
        ],
    ),
    ("GET", "/review/admin/guidelines"): Rule("admin", "page", 200, _c("GET", "/review/admin/guidelines")),
    ("POST", "/review/admin/guidelines"): Rule(
        "admin",
        "page",
        303,
        _c("POST", "/review/admin/guidelines", form={"text": "Prefer **correct** over long."}),
        invalid=[_c("POST", "/review/admin/guidelines", form={"text": "x", "good_no-such-pattern": "y"})],
    ),
    ("GET", "/review/admin/agreement"): Rule("admin", "page", 200, _c("GET", "/review/admin/agreement")),
    ("GET", "/review/admin/adjudication"): Rule(
        "admin", "page", 200, _c("GET", "/review/admin/adjudication")
    ),
    ("POST", "/review/admin/adjudication/{pair_id}"): Rule(
        "admin",
        "page",
        303,
        lambda w, u: Call("POST", f"/review/admin/adjudication/{w.conflict()}", form={"verdict": "tie"}),
        not_found=_c("POST", f"/review/admin/adjudication/{MISSING}", form={"verdict": "tie"}),
        invalid=[
            lambda w, u: Call("POST", f"/review/admin/adjudication/{w.conflict()}", form={"verdict": "left"}),
            lambda w, u: Call(
                "POST",
                f"/review/admin/adjudication/{w.conflict()}",
                form={"verdict": "tie", "status": "accepted"},
            ),
            _c("POST", "/review/admin/adjudication/abc", form={"verdict": "tie"}),
        ],
    ),
    ("GET", "/review/admin/controls"): Rule("admin", "page", 200, _c("GET", "/review/admin/controls")),
    ("POST", "/review/admin/controls"): Rule(
        "admin",
        "page",
        303,
        lambda w, u: Call("POST", "/review/admin/controls", form={"pair_id": str(w.decided())}),
        not_found=_c("POST", "/review/admin/controls", form={"pair_id": str(MISSING)}),
        invalid=[
            _c("POST", "/review/admin/controls", form={"pair_id": "abc"}),
            lambda w, u: Call(
                "POST", "/review/admin/controls", form={"pair_id": str(w.decided()), "verdict": "tie"}
            ),
        ],
    ),
    ("POST", "/review/admin/controls/rate"): Rule(
        "admin",
        "page",
        303,
        # 0 (off): a rate above it would make later routes' leases serve the world's control pairs at random.
        _c("POST", "/review/admin/controls/rate", form={"percent": "0"}),
        invalid=[
            _c("POST", "/review/admin/controls/rate", form={"percent": "21"}),
            _c("POST", "/review/admin/controls/rate", form={"percent": "5", "overlap": "3"}),
        ],
    ),
    ("POST", "/review/admin/controls/{pair_id}/unmark"): Rule(
        "admin",
        "page",
        303,
        lambda w, u: Call("POST", f"/review/admin/controls/{w.decided(control=True)}/unmark", form={}),
        not_found=_c("POST", f"/review/admin/controls/{MISSING}/unmark", form={}),
        invalid=[_c("POST", "/review/admin/controls/abc/unmark", form={})],
    ),
    ("PUT", "/api/v1/pairs/{pair_id}/control"): Rule(
        "admin",
        "api",
        200,
        lambda w, u: Call("PUT", f"/api/v1/pairs/{w.decided()}/control"),
        not_found=_c("PUT", f"/api/v1/pairs/{MISSING}/control"),
        invalid=[_c("PUT", "/api/v1/pairs/abc/control"), _c("PUT", "/api/v1/pairs/0/control")],
    ),
    ("DELETE", "/api/v1/pairs/{pair_id}/control"): Rule(
        "admin",
        "api",
        204,
        lambda w, u: Call("DELETE", f"/api/v1/pairs/{w.decided(control=True)}/control"),
        not_found=_c("DELETE", f"/api/v1/pairs/{MISSING}/control"),
        invalid=[_c("DELETE", "/api/v1/pairs/abc/control")],
    ),
    ("GET", "/api/v1/jobs/{job_id}"): Rule(
        "admin",
        "api",
        200,
        lambda w, u: Call("GET", f"/api/v1/jobs/{w.job()}"),
        not_found=_c("GET", f"/api/v1/jobs/{MISSING}"),
        invalid=[_c("GET", "/api/v1/jobs/abc"), _c("GET", "/api/v1/jobs/0")],
    ),
    ("POST", "/admin/patterns"): Rule(
        "admin",
        "page",
        303,
        lambda w, u: Call("POST", "/admin/patterns", form=w.taxonomy_form()),
        invalid=[
            lambda w, u: Call("POST", "/admin/patterns", form={**w.taxonomy_form(), "role": "admin"}),
            lambda w, u: Call("POST", "/admin/patterns", form={**w.taxonomy_form(), "slug": ["Bad Slug"]}),
            lambda w, u: Call(
                "POST",
                "/admin/patterns",
                form={"slug": ["x"], "name": ["X"], "description": [""], "hotkey": ["a"]},
            ),
        ],
    ),
    ("GET", "/admin/releases"): Rule("admin", "page", 200, _c("GET", "/admin/releases")),
    ("GET", "/admin/releases/new"): Rule("admin", "page", 200, _c("GET", "/admin/releases/new")),
    ("POST", "/admin/releases"): Rule(
        "admin",
        "page",
        303,
        _c("POST", "/admin/releases", form={"name": "matrix created", "kind": "dpo", "format": "openai"}),
        invalid=[
            _c("POST", "/admin/releases", form={"name": "matrix", "kind": "ppo", "format": "openai"}),
            _c("POST", "/admin/releases", form={"name": "", "kind": "dpo", "format": "openai"}),
            _c(
                "POST",
                "/admin/releases",
                form={"name": "m", "kind": "dpo", "format": "openai", "split": "1.5"},
            ),
        ],
    ),
    ("GET", "/admin/releases/preview"): Rule(
        "admin",
        "page",
        200,
        _c("GET", "/admin/releases/preview"),
        invalid=[
            _c("GET", "/admin/releases/preview?kind=ppo"),
            _c("GET", "/admin/releases/preview?keep_leaky=maybe"),
        ],
    ),
    ("GET", "/admin/releases/{release_id}"): Rule(
        "admin",
        "page",
        200,
        lambda w, u: Call("GET", f"/admin/releases/{w.release(u)}"),
        not_found=_c("GET", f"/admin/releases/{MISSING}"),
        invalid=[_c("GET", "/admin/releases/abc")],
    ),
    ("GET", "/admin/releases/{release_id}/files/{name}"): Rule(
        "admin",
        "page",
        200,
        lambda w, u: Call("GET", f"/admin/releases/{w.release(u)}/files/train.jsonl"),
        not_found=lambda w, u: Call("GET", f"/admin/releases/{w.release(u)}/files/..%2Fmanifest.json"),
        invalid=[_c("GET", "/admin/releases/abc/files/train.jsonl")],
    ),
}


ROUTES.update(admin_rules(Rule, Call))


def send(c: TestClient, call: Call, *, csrf: str | None = None, headers: dict[str, str] | None = None) -> Any:
    """Send `call`; a session's CSRF token goes into the X-CSRF-Token header when given."""
    h = dict(headers or {})
    if csrf is not None and call.method != "GET":
        h["X-CSRF-Token"] = csrf
    kwargs: dict[str, Any] = {"headers": h}
    if call.params is not None:
        kwargs["params"] = call.params
    if call.form is not None:
        kwargs["data"] = call.form
    if call.json is not None:
        kwargs["json"] = call.json
    if call.files is not None:
        kwargs["files"] = call.files
    return c.request(call.method, call.url, **kwargs)


def order(key: tuple[str, str]) -> tuple[int, str, str]:
    """Sign-out last: it ends the session the other calls use."""
    return (1 if key == ("POST", "/logout") else 0, key[1], key[0])


# The training rows build on the names above, so they are imported last.
from tests.training.matrix_routes import TRAINING_ROUTES  # noqa: E402

ROUTES.update(TRAINING_ROUTES)

from tests.evaluation.matrix_routes import EVALUATION_ROUTES  # noqa: E402

ROUTES.update(EVALUATION_ROUTES)
