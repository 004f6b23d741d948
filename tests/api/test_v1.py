"""JSON API v1: list with keyset pages, get, lease, submit (same rules as the page), the OpenAPI document.

Admins see pairs as stored; reviewers see what the review screen shows them (issue 15): the pair they hold,
blind, with nothing of other reviewers' work, and they judge only a pair they hold.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col
from starlette.testclient import TestClient

from app.assist.models import SecondOpinion
from app.assist.opinions import PROMPT_VERSION
from app.db import session_scope
from app.jobs.models import Job
from app.pairs import learning_service as ls
from app.pairs.models import Pair, PairStatus
from app.review.models import Assignment, Judgment
from tests.web_helpers import add_pair, bearer, client, count, make_token, make_user, seed_samples

pytestmark = pytest.mark.usefixtures("fast_passwords")
# A client, the bearer header of its user's token, and the seeded pair ids.
ApiWorld = tuple[TestClient, dict[str, str], list[int]]


@pytest.fixture
def api(engine: Engine) -> ApiWorld:
    """A reviewer's client and token over the seeded samples."""
    pairs = seed_samples(engine)
    make_user(engine, "rev")
    return client(), bearer(make_token(engine, "rev")), pairs


@pytest.fixture
def admin(engine: Engine) -> ApiWorld:
    pairs = seed_samples(engine)
    make_user(engine, "adm", role="admin")
    return client(), bearer(make_token(engine, "adm")), pairs


def _all_ids(engine: Engine) -> list[int]:
    with session_scope(engine, read_only=True) as session:
        return list(session.execute(select(col(Pair.id)).order_by(col(Pair.id))).scalars())


def _left_side(engine: Engine, pair_id: int) -> str:
    with session_scope(engine, read_only=True) as session:
        return session.execute(
            select(col(Assignment.left_side)).where(col(Assignment.pair_id) == pair_id)
        ).scalar_one()


class TestListPairs:
    def test_keyset_pages_cover_every_pair_once(self, engine: Engine, admin: ApiWorld) -> None:
        c, h, _ = admin
        seen, after, pages = [], 0, 0
        while True:
            body = c.get("/api/v1/pairs", params={"limit": 5, "after": after}, headers=h).json()
            seen += [p["id"] for p in body["items"]]
            pages += 1
            if body["next_after"] is None:
                break
            assert body["next_after"] == body["items"][-1]["id"]
            after = body["next_after"]
        assert seen == _all_ids(engine)
        assert pages == len(seen) // 5 + 1

    def test_item_shape(self, engine: Engine, admin: ApiWorld) -> None:
        c, h, _ = admin
        item = c.get("/api/v1/pairs", params={"limit": 1}, headers=h).json()["items"][0]
        assert sorted(item) == sorted(["view", "id", "conversation_id", "source", "title", "score", "detector",
                                       "status", "signals", "prompt", "rejected", "pushback", "chosen",
                                       "chosen_original", "gold_edited", "leak_kinds", "leak_spans",
                                       "gold_prompt", "second_opinion"])  # fmt: skip
        assert item["view"] == "admin"
        assert "/" not in item["source"]["file"], "server paths stay on the server"
        assert item["status"] == "candidate"
        assert item["prompt"][-1]["role"] == "user"

    def test_filters(self, engine: Engine, admin: ApiWorld) -> None:
        c, h, pairs = admin
        above = c.get("/api/v1/pairs", params={"min_score": 0.5, "limit": 500}, headers=h).json()["items"]
        assert sorted(p["id"] for p in above) == sorted(pairs)
        assert c.get("/api/v1/pairs", params={"status": "accepted"}, headers=h).json() == {
            "items": [],
            "next_after": None,
        }

    def test_last_page_exactly_full_then_empty(self, engine: Engine, admin: ApiWorld) -> None:
        c, h, _ = admin
        total = len(_all_ids(engine))
        body = c.get("/api/v1/pairs", params={"limit": total}, headers=h).json()
        assert len(body["items"]) == total
        follow = c.get(
            "/api/v1/pairs", params={"limit": total, "after": body["next_after"]}, headers=h
        ).json()
        assert follow == {"items": [], "next_after": None}


class TestGetPair:
    def test_get(self, engine: Engine, admin: ApiWorld) -> None:
        c, h, pairs = admin
        body = c.get(f"/api/v1/pairs/{pairs[0]}", headers=h).json()
        assert body["id"] == pairs[0]
        assert body["chosen"] == body["chosen_original"]

    def test_missing(self, engine: Engine, admin: ApiWorld) -> None:
        c, h, _ = admin
        response = c.get("/api/v1/pairs/987654", headers=h)
        assert response.status_code == 404
        assert response.json() == {"detail": "pair 987654 does not exist"}


def _opinion(engine: Engine, pair_id: int, *, version: str = PROMPT_VERSION) -> None:
    with session_scope(engine) as session:
        session.add(SecondOpinion(pair_id=pair_id, prompt_version=version, verdict="not_pair", confidence=0.25,
                                  reason="It accepts the answer.", model="stand-in"))  # fmt: skip


class TestSecondOpinion:
    OPINION = {"verdict": "not_pair", "confidence": 0.25, "reason": "It accepts the answer.", "model": "stand-in",
               "prompt_version": PROMPT_VERSION}  # fmt: skip

    def test_admins_see_the_current_opinion_in_the_pair_json(self, engine: Engine, admin: ApiWorld) -> None:
        c, h, pairs = admin
        _opinion(engine, pairs[0])
        _opinion(engine, pairs[1], version="opinion-0")  # an older instruction's: not current
        body = c.get(f"/api/v1/pairs/{pairs[0]}", headers=h).json()
        opinion = body["second_opinion"]
        assert {k: opinion[k] for k in self.OPINION} == self.OPINION
        assert opinion["created_at"]
        listed = {p["id"]: p["second_opinion"] for p in c.get("/api/v1/pairs", headers=h).json()["items"]}
        assert listed[pairs[0]] == opinion
        assert listed[pairs[1]] is None
        assert c.get(f"/api/v1/pairs/{pairs[1]}", headers=h).json()["second_opinion"] is None

    def test_reviewers_see_it_on_the_pair_they_hold(self, engine: Engine, api: ApiWorld) -> None:
        c, h, pairs = api
        _opinion(engine, pairs[0])
        leased = c.post("/api/v1/review/next", headers=h).json()["pair"]
        assert leased["id"] == pairs[0]
        assert {k: leased["second_opinion"][k] for k in self.OPINION} == self.OPINION
        assert (
            c.get(f"/api/v1/pairs/{pairs[0]}", headers=h).json()["second_opinion"] == leased["second_opinion"]
        )

    def test_the_document_describes_it(self, engine: Engine, admin: ApiWorld) -> None:
        c, _, _ = admin
        schemas = c.get("/api/v1/openapi.json").json()["components"]["schemas"]
        assert schemas["SecondOpinionOut"]["properties"]["verdict"]["enum"] == ["pair", "not_pair"]
        for name in ("AdminPairOut", "ReviewPairOut"):
            assert "second_opinion" in schemas[name]["properties"]
            assert "second_opinion" not in schemas[name].get("required", [])


class TestReviewerScope:
    def test_reviewer_lists_only_the_pair_they_hold_blind(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _pairs = api
        assert c.get("/api/v1/pairs", headers=h).json() == {"items": [], "next_after": None}
        leased = c.post("/api/v1/review/next", headers=h).json()["pair"]
        (item,) = c.get("/api/v1/pairs", headers=h).json()["items"]
        assert item == leased
        assert sorted(item) == sorted(["view", "id", "source", "title", "score", "disagreement", "prompt",
                                       "pushback", "left", "right", "lease_expires_at",
                                       "second_opinion"])  # fmt: skip
        assert "/" not in item["source"]["file"]

    @pytest.mark.parametrize("swapped", [False, True])
    def test_reviewer_sees_answers_in_their_screen_order(
        self, engine: Engine, api: ApiWorld, swapped: bool
    ) -> None:
        """The view is a projection of the reviewed-orientation pair shape: a swapped pair is undone for the screen."""
        c, h, _pairs = api
        with session_scope(engine) as session:
            for pair in session.execute(select(Pair)).scalars():
                pair.swapped = swapped
        item = c.post("/api/v1/review/next", headers=h).json()["pair"]
        with session_scope(engine, read_only=True) as session:
            from app.conversations.models import Turn

            pair = session.get_one(Pair, item["id"])
            first = session.get_one(Turn, pair.first_turn_id).text
            second = session.get_one(Turn, pair.second_turn_id).text
        expected = (first, second) if _left_side(engine, item["id"]) == "first" else (second, first)
        assert (item["left"], item["right"]) == expected

    def test_reviewer_gets_404_for_pairs_they_do_not_hold(self, engine: Engine, api: ApiWorld) -> None:
        c, h, pairs = api
        response = c.get(f"/api/v1/pairs/{pairs[1]}", headers=h)
        assert response.status_code == 404
        assert response.json() == {"detail": f"pair {pairs[1]} does not exist"}

    def test_other_reviewers_gold_edits_and_status_stay_hidden(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _pairs = api
        with session_scope(engine) as session:
            from app.settings.service import set_value

            set_value(session, key="overlap", value="2")
        make_user(engine, "other")
        other = bearer(make_token(engine, "other"))
        pair_id = c.post("/api/v1/review/next", headers=other).json()["pair"]["id"]
        body = {"verdict": "right", "edited_text": "OTHER REVIEWER GOLD"}
        assert c.post(f"/api/v1/pairs/{pair_id}/judgments", headers=other, json=body).status_code == 201
        mine = c.post("/api/v1/review/next", headers=h).json()["pair"]
        assert mine["id"] == pair_id
        text = str(c.get(f"/api/v1/pairs/{pair_id}", headers=h).json()) + str(mine)
        assert "OTHER REVIEWER GOLD" not in text
        assert "status" not in mine
        assert "chosen" not in mine
        assert "left_side" not in mine


class TestLease:
    def test_lease_returns_the_best_pair_and_keeps_it(self, engine: Engine, api: ApiWorld) -> None:
        c, h, pairs = api
        first = c.post("/api/v1/review/next", headers=h).json()
        assert first["pair"]["id"] == pairs[0]
        assert first["pair"]["lease_expires_at"]
        assert "left_side" not in first
        assert c.post("/api/v1/review/next", headers=h).json()["pair"]["id"] == pairs[0]

    def test_empty_queue(self, engine: Engine) -> None:
        make_user(engine, "rev")
        h = bearer(make_token(engine, "rev"))
        assert client().post("/api/v1/review/next", headers=h).json() == {"pair": None}


class TestSubmit:
    def test_submit_in_screen_order_returns_201(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _pairs = api
        leased = c.post("/api/v1/review/next", headers=h).json()["pair"]
        response = c.post(f"/api/v1/pairs/{leased['id']}/judgments", headers=h, json={
            "verdict": "left", "patterns_left": ["tradeoffs"], "patterns_right": [], "comment": " ok ",
            "edited_text": "gold", "flagged": True})  # fmt: skip
        assert response.status_code == 201
        body = response.json()
        assert {k: body[k] for k in ("pair_id", "verdict", "patterns_left", "edited_text", "comment", "flagged",
                                     "version")} == {
            "pair_id": leased["id"], "verdict": "left", "patterns_left": ["tradeoffs"], "edited_text": "gold",
            "comment": "ok", "flagged": True, "version": 1}  # fmt: skip
        (judgment,) = judgments(engine)
        # The verdict is stored in the detected orientation: "left" is whichever answer the screen showed left.
        with session_scope(engine, read_only=True) as session:
            from app.conversations.models import Turn

            pair = session.get_one(Pair, leased["id"])
            first = session.get_one(Turn, pair.first_turn_id).text
        assert judgment.verdict == ("first" if leased["left"] == first else "second")
        assert (judgment.patterns_first if judgment.verdict == "first" else judgment.patterns_second) == [
            "tradeoffs"
        ]

    def test_the_verdict_that_makes_a_training_due_queues_it(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A verdict by API is a label for the scorer as one on the page is (tests/review/test_service.py).
        queued: list[int] = []
        monkeypatch.setattr("app.jobs.service.enqueue", queued.append)
        with session_scope(engine) as session:
            for _ in range(ls.MIN_LABELS - ls.MIN_PER_CLASS - 2):
                add_pair(session, status=PairStatus.accepted)
            for _ in range(ls.MIN_PER_CLASS):
                add_pair(session, status=PairStatus.not_a_pair)
            for _ in range(2):
                add_pair(session)
        make_user(engine, "rev")
        c, h = client(), bearer(make_token(engine, "rev"))

        def verdict(body: dict[str, str]) -> None:
            pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
            assert c.post(f"/api/v1/pairs/{pair_id}/judgments", headers=h, json=body).status_code == 201

        verdict({"verdict": "left"})  # one label short
        assert queued == []
        verdict({"verdict": "not_a_pair"})
        with session_scope(engine, read_only=True) as session:
            jobs = list(session.scalars(select(Job)))
        assert [(job.id, job.kind) for job in jobs] == [(queued[0], ls.TRAIN_JOB)]
        assert len(queued) == 1

    def test_unknown_pattern_is_422_like_the_page(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _pairs = api
        pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        response = c.post(f"/api/v1/pairs/{pair_id}/judgments", headers=h,
                          json={"verdict": "right", "patterns_right": ["nope"]})  # fmt: skip
        assert response.status_code == 422
        assert response.json() == {"detail": "unknown patterns: nope"}
        assert count(engine, Judgment) == 0

    def test_twice_is_409(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _pairs = api
        pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        url = f"/api/v1/pairs/{pair_id}/judgments"
        assert c.post(url, headers=h, json={"verdict": "tie"}).status_code == 201
        again = c.post(url, headers=h, json={"verdict": "tie"})
        assert again.status_code == 409
        assert count(engine, Judgment) == 1

    def test_without_a_lease_is_404(self, engine: Engine, api: ApiWorld) -> None:
        c, h, pairs = api
        response = c.post(f"/api/v1/pairs/{pairs[0]}/judgments", headers=h, json={"verdict": "tie"})
        assert response.status_code == 404
        assert "not in your queue" in response.json()["detail"]
        assert count(engine, Judgment) == 0

    def test_below_threshold_pair_cannot_be_judged(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _ = api
        with session_scope(engine) as session:
            low = add_pair(session, score=0.01).id
        c.post("/api/v1/review/next", headers=h)  # holding some other pair changes nothing
        response = c.post(f"/api/v1/pairs/{low}/judgments", headers=h, json={"verdict": "left"})
        assert response.status_code == 404
        assert count(engine, Judgment) == 0

    def test_missing_pair_is_404(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _ = api
        response = c.post("/api/v1/pairs/987654/judgments", headers=h, json={"verdict": "tie"})
        assert response.status_code == 404
        assert response.json() == {"detail": "pair 987654 does not exist"}

    @pytest.mark.parametrize("body", [{"verdict": "better"}, {}, {"verdict": "tie", "comment": "c" * 5001},
                                      {"verdict": "tie", "patterns_left": ["x"] * 51}, [], "tie",
                                      {"verdict": "first"}, {"verdict": "tie", "comment": "nul\u0000"},
                                      {"verdict": "left", "edited_text": "   "}])  # fmt: skip
    def test_bad_bodies_are_422(self, engine: Engine, api: ApiWorld, body: object) -> None:
        c, h, _pairs = api
        pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        response = c.post(f"/api/v1/pairs/{pair_id}/judgments", headers=h, json=body)
        assert response.status_code == 422
        assert isinstance(response.json()["detail"], str)
        assert response.json()["errors"]
        assert count(engine, Judgment) == 0

    def test_gold_edit_with_a_tie_is_422(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _pairs = api
        pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        response = c.post(f"/api/v1/pairs/{pair_id}/judgments", headers=h,
                          json={"verdict": "tie", "edited_text": "gold"})  # fmt: skip
        assert response.status_code == 422

    def test_malformed_json_is_400_in_the_error_shape(self, engine: Engine, api: ApiWorld) -> None:
        c, h, pairs = api
        response = c.post(f"/api/v1/pairs/{pairs[0]}/judgments", content=b"{nope",
                          headers={**h, "Content-Type": "application/json"})  # fmt: skip
        assert response.status_code == 400
        assert response.json() == {"detail": "The request body is not valid JSON."}


def judgments(engine: Engine) -> list[Judgment]:
    with session_scope(engine, read_only=True) as session:
        return list(session.execute(select(Judgment)).scalars())


class TestOpenApi:
    def test_document_lists_the_v1_paths(self, engine: Engine) -> None:
        doc = client().get("/api/v1/openapi.json").json()
        assert doc["openapi"].startswith("3.")
        assert set(doc["paths"]) == {"/api/v1/pairs", "/api/v1/pairs/{pair_id}", "/api/v1/review/next",
                                     "/api/v1/pairs/{pair_id}/judgments", "/api/v1/pairs/{pair_id}/control",
                                     "/api/v1/pairs/{pair_id}/gold-prompt", "/api/v1/pairs/{pair_id}/suggestions",
                                     "/api/v1/pairs/{pair_id}/suggestions/{suggestion_id}/decision",
                                     "/api/v1/evaluations/{evaluation_id}",
                                     "/api/v1/evaluations/{evaluation_id}/next",
                                     "/api/v1/evaluations/{evaluation_id}/comparisons/{comparison_id}/judgments",
                                     "/api/v1/evaluations/{evaluation_id}/judge",
                                     "/api/v1/evaluations/{evaluation_id}/judge/rubric", "/api/v1/jobs/{job_id}"}  # fmt: skip
        assert set(doc["paths"]["/api/v1/pairs/{pair_id}/judgments"]) == {"post"}
        assert doc["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
        for name in ("PreferJudgmentIn", "OtherJudgmentIn"):
            assert doc["components"]["schemas"][name]["additionalProperties"] is False
        assert set(doc["components"]["schemas"]["PreferJudgmentIn"]["properties"]) == {
            "verdict", "patterns_left", "patterns_right", "edited_text", "comment", "flagged"}  # fmt: skip


class TestControls:
    """PUT/DELETE /api/v1/pairs/{id}/control (admins), and a reviewer's verdict on a control they were served."""

    def test_mark_answer_and_unmark(
        self, engine: Engine, admin: ApiWorld, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from types import SimpleNamespace

        from app.review import queue
        from app.review.models import ControlAnswer, ControlPair

        c, h, pairs = admin
        with session_scope(engine) as session:
            session.get_one(Pair, pairs[0]).status = PairStatus.not_a_pair
        response = c.put(f"/api/v1/pairs/{pairs[0]}/control", headers=h)
        assert response.status_code == 200
        assert response.json()["verdict"] == "not_a_pair"
        assert c.put(f"/api/v1/pairs/{pairs[0]}/control", headers=h).status_code == 200
        assert count(engine, ControlPair) == 1
        make_user(engine, "rev")
        rh = bearer(make_token(engine, "rev"))
        with session_scope(engine) as session:
            from app.review.controls import set_percent
            from tests.web_helpers import get_user

            set_percent(session, admin=get_user(session, "adm"), percent=10)
        monkeypatch.setattr(queue, "control_random", SimpleNamespace(random=lambda: 0.0))
        leased = c.post("/api/v1/review/next", headers=rh).json()["pair"]
        assert leased["id"] == pairs[0]
        assert "status" not in leased
        judged = c.post(f"/api/v1/pairs/{pairs[0]}/judgments", json={"verdict": "not_a_pair"}, headers=rh)
        assert judged.status_code == 201
        assert judged.json()["verdict"] == "not_a_pair"
        assert count(engine, Judgment) == 0
        assert count(engine, ControlAnswer) == 1
        with session_scope(engine, read_only=True) as session:
            assert session.get_one(Pair, pairs[0]).status == PairStatus.not_a_pair
        assert c.delete(f"/api/v1/pairs/{pairs[0]}/control", headers=h).status_code == 204
        assert count(engine, ControlPair) == 0

    def test_errors(self, engine: Engine, admin: ApiWorld) -> None:
        c, h, pairs = admin
        make_user(engine, "rev")
        rh = bearer(make_token(engine, "rev"))
        assert c.put(f"/api/v1/pairs/{pairs[0]}/control").status_code == 401
        assert c.delete(f"/api/v1/pairs/{pairs[0]}/control").status_code == 401
        assert c.put(f"/api/v1/pairs/{pairs[0]}/control", headers=rh).status_code == 403
        assert c.delete(f"/api/v1/pairs/{pairs[0]}/control", headers=rh).status_code == 403
        assert c.put("/api/v1/pairs/999999/control", headers=h).status_code == 404
        assert c.delete("/api/v1/pairs/999999/control", headers=h).status_code == 404
        assert c.delete(f"/api/v1/pairs/{pairs[0]}/control", headers=h).status_code == 404  # not a control
        assert c.put(f"/api/v1/pairs/{pairs[0]}/control", headers=h).status_code == 409  # a candidate
        assert c.put("/api/v1/pairs/abc/control", headers=h).status_code == 422
        assert c.delete("/api/v1/pairs/0/control", headers=h).status_code == 422


class TestStandalone:
    """PUT /pairs/{id}/gold-prompt, GET /pairs/{id}/suggestions and POST .../suggestions/{sid}/decision: what the
    review screen's standalone panel does, for a pair the caller holds."""

    def _suggestion(self, engine: Engine, pair_id: int, field: str = "chosen") -> int:
        from app.assist.models import Suggestion

        with session_scope(engine) as session:
            suggestion = Suggestion(
                pair_id=pair_id, field=field, text="Standalone text.", base_text="x", model="m"
            )
            session.add(suggestion)
            session.flush()
            return int(suggestion.id or 0)

    def _edits(self, engine: Engine, pair_id: int) -> list[tuple[str, str, str]]:
        from app.pairs.models import PairEdit

        with session_scope(engine, read_only=True) as session:
            rows = session.execute(
                select(PairEdit).where(col(PairEdit.pair_id) == pair_id).order_by(col(PairEdit.id))
            ).scalars()
            return [(e.field, e.text, e.source) for e in rows]

    def test_a_gold_prompt_is_saved_and_exported_in_place_of_the_question(
        self, engine: Engine, api: ApiWorld
    ) -> None:
        c, h, _ = api
        pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        response = c.put(f"/api/v1/pairs/{pair_id}/gold-prompt", headers=h, json={"text": "Q on 50M rows?"})
        assert response.status_code == 200
        body = response.json()
        assert (body["pair_id"], body["field"], body["text"], body["source"]) == (
            pair_id, "prompt", "Q on 50M rows?", "reviewer")  # fmt: skip
        assert body["previous_text"]
        assert self._edits(engine, pair_id) == [("prompt", "Q on 50M rows?", "reviewer")]
        with session_scope(engine, read_only=True) as session:
            from app.pairs.views_data import load_details

            detail = load_details(session, pairs=[session.get_one(Pair, pair_id)])[0]
        assert detail.gold_prompt == "Q on 50M rows?"

    def test_suggestions_are_listed_and_decided_once(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _ = api
        pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        accepted, ignored = self._suggestion(engine, pair_id), self._suggestion(engine, pair_id, "prompt")
        listed = c.get(f"/api/v1/pairs/{pair_id}/suggestions", headers=h).json()
        assert [(s["id"], s["field"], s["status"]) for s in listed] == [
            (accepted, "chosen", "pending"), (ignored, "prompt", "pending")]  # fmt: skip
        url = f"/api/v1/pairs/{pair_id}/suggestions/{{}}/decision"
        response = c.post(url.format(accepted), headers=h, json={"decision": "accept"})
        assert (response.status_code, response.json()["status"]) == (200, "accepted")
        assert (
            c.post(url.format(ignored), headers=h, json={"decision": "ignore"}).json()["status"] == "ignored"
        )
        # Only the accepted one became an edit, with its lineage; both left the pending list.
        assert self._edits(engine, pair_id) == [("chosen", "Standalone text.", "suggestion")]
        assert c.get(f"/api/v1/pairs/{pair_id}/suggestions", headers=h).json() == []
        again = c.post(url.format(accepted), headers=h, json={"decision": "ignore"})
        assert again.status_code == 409
        assert "already accepted" in again.json()["detail"]

    def test_a_pair_the_caller_does_not_hold_or_that_does_not_exist_is_404(
        self, engine: Engine, api: ApiWorld
    ) -> None:
        c, h, pairs = api
        other = pairs[-1]
        suggestion = self._suggestion(engine, other)
        for response in (
            c.put(f"/api/v1/pairs/{other}/gold-prompt", headers=h, json={"text": "Q?"}),
            c.get(f"/api/v1/pairs/{other}/suggestions", headers=h),
            c.post(
                f"/api/v1/pairs/{other}/suggestions/{suggestion}/decision",
                headers=h,
                json={"decision": "accept"},
            ),
            c.put("/api/v1/pairs/987654/gold-prompt", headers=h, json={"text": "Q?"}),
            c.get("/api/v1/pairs/987654/suggestions", headers=h),
        ):
            assert response.status_code == 404
        held = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        # A suggestion of another pair is not found through the held one.
        response = c.post(
            f"/api/v1/pairs/{held}/suggestions/{suggestion}/decision", headers=h, json={"decision": "accept"}
        )
        assert response.status_code == 404
        assert self._edits(engine, other) == []
        assert self._edits(engine, held) == []

    @pytest.mark.parametrize(
        "body",
        [{}, {"text": ""}, {"text": "   "}, {"text": "a\u0000b"}, {"text": "Q?", "author": 1}, {"text": 3}],
    )
    def test_bad_gold_prompts_are_422(self, engine: Engine, api: ApiWorld, body: object) -> None:
        c, h, _ = api
        pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        assert c.put(f"/api/v1/pairs/{pair_id}/gold-prompt", headers=h, json=body).status_code == 422
        assert self._edits(engine, pair_id) == []

    def test_bad_decisions_are_422_and_the_anonymous_401(self, engine: Engine, api: ApiWorld) -> None:
        c, h, _ = api
        pair_id = c.post("/api/v1/review/next", headers=h).json()["pair"]["id"]
        suggestion = self._suggestion(engine, pair_id)
        url = f"/api/v1/pairs/{pair_id}/suggestions/{suggestion}/decision"
        for body in ({}, {"decision": "maybe"}, {"decision": "accept", "text": "mine"}):
            assert c.post(url, headers=h, json=body).status_code == 422
        assert (
            c.post(
                f"/api/v1/pairs/{pair_id}/suggestions/abc/decision", headers=h, json={"decision": "accept"}
            ).status_code
            == 422
        )
        assert c.post(url, json={"decision": "accept"}).status_code == 401
        assert c.get(f"/api/v1/pairs/{pair_id}/suggestions").status_code == 401
        assert c.put(f"/api/v1/pairs/{pair_id}/gold-prompt", json={"text": "Q?"}).status_code == 401
        assert self._edits(engine, pair_id) == []
