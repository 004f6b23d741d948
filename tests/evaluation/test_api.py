"""API v1 for evaluations: leasing the next blind comparison and judging it (success, 204, 401, 403, 404, 409,
422), sides randomized and recorded, patterns stored per candidate, and the admin-only report."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.db import session_scope
from app.evaluation.models import Comparison, ComparisonJudgment, EvalAnswer, EvalCandidate
from tests.evaluation.conftest import ready_evaluation
from tests.training.fake_openai import FakeOpenAI
from tests.web_helpers import bearer, client, make_token, make_user


@pytest.fixture
def setup(training_engine: Engine, openai_env: FakeOpenAI, fast_passwords: None) -> dict[str, Any]:
    evaluation_id = ready_evaluation(training_engine)
    make_user(training_engine, "boss", role="admin")
    make_user(training_engine, "rev1")
    make_user(training_engine, "rev2")
    return {
        "engine": training_engine, "id": evaluation_id, "c": client(),
        "admin": bearer(make_token(training_engine, "boss")), "rev1": bearer(make_token(training_engine, "rev1")),
        "rev2": bearer(make_token(training_engine, "rev2")),
    }  # fmt: skip


def texts_by_candidate(engine: Engine, comparison_id: int) -> dict[str, str]:
    with session_scope(engine, read_only=True) as session:
        comparison = session.get(Comparison, comparison_id)
        assert comparison is not None
        rows = session.execute(
            select(col(EvalCandidate.label), col(EvalAnswer.text))
            .join(EvalAnswer, col(EvalAnswer.candidate_id) == col(EvalCandidate.id))
            .where(col(EvalAnswer.prompt_id) == comparison.prompt_id)
        ).all()
    return dict(rows)


class TestNext:
    def test_leases_a_comparison_with_labels_hidden(self, setup: dict[str, Any]) -> None:
        r = setup["c"].post(f"/api/v1/evaluations/{setup['id']}/next", headers=setup["rev1"])
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"comparison_id", "prompt", "left", "right", "expires_at"}
        assert body["prompt"][-1]["role"] == "user"
        texts = texts_by_candidate(setup["engine"], body["comparison_id"])
        assert {body["left"]["text"], body["right"]["text"]} == set(texts.values())
        assert "base" not in r.text.replace("base-model", "")  # the label is not sent
        # The same caller gets the same comparison until they judge it.
        again = setup["c"].post(f"/api/v1/evaluations/{setup['id']}/next", headers=setup["rev1"])
        assert again.json()["comparison_id"] == body["comparison_id"]
        assert again.json()["left"] == body["left"]

    def test_sides_are_randomized_across_comparisons(self, setup: dict[str, Any]) -> None:
        # Sides follow a hash of (comparison id, reviewer id), and ids depend on the backend and on earlier
        # tests: 24 comparisons make "every one on the same side" a 1-in-8-million layout, not a 1-in-32 one.
        evaluation_id = ready_evaluation(setup["engine"], rows=24, split="all")
        lefts = set()
        while True:
            r = setup["c"].post(f"/api/v1/evaluations/{evaluation_id}/next", headers=setup["rev1"])
            if r.status_code == 204:
                break
            body = r.json()
            texts = texts_by_candidate(setup["engine"], body["comparison_id"])
            lefts.add(next(label for label, text in texts.items() if text == body["left"]["text"]))
            url = f"/api/v1/evaluations/{evaluation_id}/comparisons/{body['comparison_id']}/judgments"
            assert setup["c"].post(url, json={"verdict": "tie"}, headers=setup["rev1"]).status_code == 201
        assert lefts == {"base", "sft"}

    def test_204_when_nothing_is_left(self, setup: dict[str, Any]) -> None:
        with session_scope(setup["engine"]) as session:
            for comparison in session.execute(select(Comparison)).scalars():
                session.delete(comparison)
        r = setup["c"].post(f"/api/v1/evaluations/{setup['id']}/next", headers=setup["rev1"])
        assert r.status_code == 204
        assert r.content == b""

    def test_401_without_a_token(self, setup: dict[str, Any]) -> None:
        assert setup["c"].post(f"/api/v1/evaluations/{setup['id']}/next").status_code == 401
        bad = setup["c"].post(f"/api/v1/evaluations/{setup['id']}/next", headers=bearer("pw_nope"))
        assert bad.status_code == 401

    def test_404_for_an_unknown_evaluation(self, setup: dict[str, Any]) -> None:
        assert setup["c"].post("/api/v1/evaluations/999999/next", headers=setup["rev1"]).status_code == 404

    def test_422_for_a_non_numeric_id(self, setup: dict[str, Any]) -> None:
        assert setup["c"].post("/api/v1/evaluations/abc/next", headers=setup["rev1"]).status_code == 422


class TestJudgments:
    def lease(self, setup: dict[str, Any], who: str = "rev1") -> dict[str, Any]:
        r = setup["c"].post(f"/api/v1/evaluations/{setup['id']}/next", headers=setup[who])
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def url(self, setup: dict[str, Any], comparison_id: int) -> str:
        return f"/api/v1/evaluations/{setup['id']}/comparisons/{comparison_id}/judgments"

    def test_a_verdict_is_stored_per_candidate_with_the_recorded_side(self, setup: dict[str, Any]) -> None:
        body = self.lease(setup)
        payload = {
            "verdict": "left",
            "patterns_left": ["tradeoffs", "testing"],
            "patterns_right": ["security"],
        }
        r = setup["c"].post(self.url(setup, body["comparison_id"]), json=payload, headers=setup["rev1"])
        assert r.status_code == 201, r.text
        assert r.json()["patterns_left"] == ["testing", "tradeoffs"]
        texts = texts_by_candidate(setup["engine"], body["comparison_id"])
        left_label = next(label for label, text in texts.items() if text == body["left"]["text"])
        with session_scope(setup["engine"], read_only=True) as session:
            judgment = session.execute(select(ComparisonJudgment)).scalar_one()
            comparison = session.get(Comparison, judgment.comparison_id)
            labels = {c.id: c.label for c in session.execute(select(EvalCandidate)).scalars()}
        assert comparison is not None
        assert labels[judgment.left_candidate_id] == left_label
        assert labels[judgment.winner_candidate_id or 0] == left_label
        on_left = (
            judgment.patterns_a if labels[comparison.candidate_a_id] == left_label else judgment.patterns_b
        )
        on_right = (
            judgment.patterns_b if labels[comparison.candidate_a_id] == left_label else judgment.patterns_a
        )
        assert on_left == ["testing", "tradeoffs"]
        assert on_right == ["security"]

    def test_a_second_judgment_by_the_same_reviewer_is_a_conflict(self, setup: dict[str, Any]) -> None:
        body = self.lease(setup)
        url = self.url(setup, body["comparison_id"])
        assert setup["c"].post(url, json={"verdict": "tie"}, headers=setup["rev1"]).status_code == 201
        again = setup["c"].post(url, json={"verdict": "tie"}, headers=setup["rev1"])
        # The lease is gone once judged: the comparison is no longer in this reviewer's queue.
        assert again.status_code in (404, 409)

    def test_the_overlap_is_never_exceeded(self, setup: dict[str, Any]) -> None:
        first = self.lease(setup, "rev1")
        second = self.lease(setup, "rev2")
        # Overlap 1: the second reviewer is given another comparison, not the one rev1 holds.
        assert second["comparison_id"] != first["comparison_id"]
        stolen = setup["c"].post(
            self.url(setup, first["comparison_id"]), json={"verdict": "tie"}, headers=setup["rev2"]
        )
        assert stolen.status_code == 404

    def test_401_403_404_422(self, setup: dict[str, Any]) -> None:
        body = self.lease(setup)
        url = self.url(setup, body["comparison_id"])
        assert setup["c"].post(url, json={"verdict": "tie"}).status_code == 401
        assert (
            setup["c"]
            .post(self.url(setup, 999999), json={"verdict": "tie"}, headers=setup["rev1"])
            .status_code
            == 404
        )
        wrong_eval = f"/api/v1/evaluations/999999/comparisons/{body['comparison_id']}/judgments"
        assert setup["c"].post(wrong_eval, json={"verdict": "tie"}, headers=setup["rev1"]).status_code == 404
        for bad in (
            {"verdict": "first"},
            {"verdict": "tie", "role": "admin"},
            {"verdict": "tie", "patterns_left": "x"},
            {},
        ):
            assert setup["c"].post(url, json=bad, headers=setup["rev1"]).status_code == 422, bad
        unknown = setup["c"].post(
            url, json={"verdict": "tie", "patterns_left": ["no-such"]}, headers=setup["rev1"]
        )
        assert unknown.status_code == 422
        assert "no-such" in unknown.json()["detail"]


class TestReport:
    def test_admins_get_the_report_json(self, setup: dict[str, Any]) -> None:
        r = setup["c"].get(f"/api/v1/evaluations/{setup['id']}", headers=setup["admin"])
        assert r.status_code == 200
        body = r.json()
        assert {"id", "name", "status", "prompts", "judged", "candidates", "head_to_head", "decision"} <= set(
            body
        )
        assert set(body["candidates"]) == {"base", "sft"}
        assert body["decision"]["subject"] == "sft"

    def test_reviewers_get_403_anonymous_401_unknown_404(self, setup: dict[str, Any]) -> None:
        assert setup["c"].get(f"/api/v1/evaluations/{setup['id']}", headers=setup["rev1"]).status_code == 403
        assert setup["c"].get(f"/api/v1/evaluations/{setup['id']}").status_code == 401
        assert setup["c"].get("/api/v1/evaluations/999999", headers=setup["admin"]).status_code == 404
        assert setup["c"].get("/api/v1/evaluations/x", headers=setup["admin"]).status_code == 422
