"""The optional model judge against the stand-in chat server on loopback: the rubric, the job (sides drawn per
call, resumable, malformed replies reported and not stored, unknown slugs dropped), its figures kept apart
from the reviewers' (agreement checked against hand-computed values), and its page, routes and command."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine, func, select
from sqlmodel import col
from typer.testing import CliRunner

from app.assist.provider import ProviderNotConfiguredError, save_provider
from app.cli import cli
from app.config import get_settings
from app.db import session_scope
from app.evaluation import jobs
from app.evaluation.judge import (
    MalformedJudgmentError,
    current_rubric,
    default_rubric,
    launch_judge,
    parse_judgment,
    rubric_sha256,
    save_rubric,
)
from app.evaluation.models import (
    Comparison,
    ComparisonJudgment,
    EvalAnswer,
    EvalCandidate,
    EvalStatus,
    JudgeFailure,
    JudgeJudgment,
)
from app.evaluation.report import build_report
from app.evaluation.service import candidates_of, get_evaluation, open_comparisons, prompts_of, set_status
from app.jobs.models import Job
from app.jobs.runner import execute
from app.patterns.service import list_patterns
from tests.assist.fake_chat import KEY, FakeChat, serve_chat
from tests.evaluation.conftest import new_evaluation, tagged_release
from tests.releases.factories import add_user
from tests.web_helpers import bearer, client, make_token, make_user, post_form, signed_in

EXPECTED = ["tradeoffs", "testing"]
_ANSWER = re.compile(r"Left answer:\n(.*?)\n\nRight answer:\n(.*)", re.DOTALL)


@pytest.fixture(autouse=True)
def _loopback_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in chat server is on loopback, which the outbound policy allows only when the operator opts in."""
    monkeypatch.setenv("PAIRWISE_ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()


def sides(messages: list[dict[str, str]]) -> tuple[str, str]:
    found = _ANSWER.search(messages[-1]["content"])
    assert found is not None, messages[-1]["content"]
    return found.group(1), found.group(2)


def sft_wins(messages: list[dict[str, str]]) -> str:
    """The judge prefers the sft answer wherever it is shown, tags tradeoffs (and a made-up slug) on it."""
    left, _right = sides(messages)
    sft, base = ("left", "right") if "answer of sft" in left else ("right", "left")
    return json.dumps(
        {"winner": sft, f"patterns_{sft}": ["tradeoffs", "made-up"], f"patterns_{base}": [], "reason": "sft"}
    )


def ready(engine: Engine, *, rows: int = 12) -> int:
    """A ready evaluation of base against sft over every prompt (answers stored directly), every prompt expecting
    EXPECTED, so the figures below can be computed by hand."""
    release_id = tagged_release(engine, rows=rows)
    eid, _ = new_evaluation(engine, release_id, {"base": "openai:m1", "sft": "openai:m2"}, split="all")
    with session_scope(engine) as session:
        for candidate in candidates_of(session, evaluation_id=eid):
            for prompt in prompts_of(session, evaluation_id=eid):
                prompt.expected_patterns = list(EXPECTED)
                session.add(prompt)
                session.add(EvalAnswer(evaluation_id=eid, prompt_id=prompt.id or 0, candidate_id=candidate.id or 0,
                                       text=f"answer of {candidate.label} to prompt {prompt.position}"))  # fmt: skip
        session.flush()
        open_comparisons(session, evaluation_id=eid)
        set_status(session, evaluation_id=eid, status=EvalStatus.ready)
    return eid


def configure(engine: Engine, fake: FakeChat) -> None:
    with session_scope(engine) as session:
        save_provider(session, base_url=fake.base_url, model="judge-model", api_key=KEY, user_id=None)


def run_judge(engine: Engine, eid: int, *, limit: int = 200) -> dict[str, Any]:
    with session_scope(engine) as session:
        job_id = launch_judge(session, evaluation_id=eid, limit=limit, user_id=None).id or 0
    execute(engine, job_id)
    with session_scope(engine, read_only=True) as session:
        job = session.get_one(Job, job_id)
        assert job.status == "succeeded", job.error
        return dict(job.result or {})


def human_report(engine: Engine, eid: int) -> dict[str, Any]:
    with session_scope(engine, read_only=True) as session:
        report = build_report(session, evaluation=get_evaluation(session, evaluation_id=eid)).to_json()
    report.pop("judge")
    return report


def judge_position(engine: Engine, eid: int) -> dict[str, int]:
    with session_scope(engine, read_only=True) as session:
        report = build_report(session, evaluation=get_evaluation(session, evaluation_id=eid))
    return dict(report.judge.position)


def count(engine: Engine, model: Any) -> int:
    with session_scope(engine, read_only=True) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def fake() -> Iterator[FakeChat]:
    with serve_chat(sft_wins) as server:
        yield server


class TestRubricAndParsing:
    def test_default_rubric_names_the_taxonomy_and_edits_are_versions(self, engine: Engine) -> None:
        eid = ready(engine, rows=4)
        with session_scope(engine) as session:
            patterns = list_patterns(session, active_only=True)
            text = default_rubric(patterns)
            assert all(p.name in text and p.slug in text for p in patterns)
            assert "better follows the expected patterns" in text
            assert current_rubric(session, evaluation_id=eid) is None
            first = save_rubric(session, evaluation_id=eid, text=None, user_id=None)
            assert (first.version, first.text, first.sha256) == (1, text, rubric_sha256(text))
            assert save_rubric(session, evaluation_id=eid, text=text + "\n", user_id=None).id == first.id
            second = save_rubric(
                session, evaluation_id=eid, text="Prefer the answer with tests.", user_id=None
            )
            assert second.version == 2
            assert current_rubric(session, evaluation_id=eid) == second
            with pytest.raises(Exception, match="the rubric is empty"):
                save_rubric(session, evaluation_id=eid, text="  ", user_id=None)

    def test_replies_are_parsed_strictly_and_unknown_slugs_dropped(self) -> None:
        known = {"tradeoffs", "testing"}
        parsed = parse_judgment(
            '```json\n{"winner": "left", "patterns_left": ["testing", "tradeoffs", "nope"], '
            '"patterns_right": ["zzz"], "reason": "  clearer\\n trade-offs "}\n```',
            known=known,
        )
        assert (parsed.winner, parsed.patterns_left, parsed.patterns_right, parsed.dropped, parsed.reason) == (
            "left", ["testing", "tradeoffs"], [], 2, "clearer trade-offs"
        )  # fmt: skip
        for reply, message in [
            ("Left is better.", "not JSON"),
            ("[1]", "not an object"),
            ('{"winner": "first"}', 'not "left", "right" or "tie"'),
            ('{"winner": "tie", "patterns_left": "testing"}', "not a list of slugs"),
            ('{"winner": "tie", "reason": 3}', "reason is not a string"),
        ]:
            with pytest.raises(MalformedJudgmentError, match=re.escape(message)):
                parse_judgment(reply, known=known)


class TestJob:
    def test_judgments_are_stored_apart_and_leave_the_human_report_unchanged(
        self, engine: Engine, fake: FakeChat, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(
            jobs, "side_rng", lambda: random.Random(7)
        )  # repeatable draws, both sides come up
        eid = ready(engine)
        configure(engine, fake)
        before = human_report(engine, eid)
        result = run_judge(engine, eid)
        assert result == {
            "evaluation_id": eid, "rubric_version": 1, "comparisons": 12, "judged": 12, "failed": 0,
            "dropped_patterns": 12, "error": None,
        }  # fmt: skip
        assert count(engine, JudgeJudgment) == 12
        assert count(engine, ComparisonJudgment) == 0
        assert human_report(engine, eid) == before
        assert before["judged"] == 0
        assert before["decision"]["verdict"] == "inconclusive"
        with session_scope(engine, read_only=True) as session:
            label = {c.id: c.label for c in session.execute(select(EvalCandidate)).scalars()}
            rubric = current_rubric(session, evaluation_id=eid)
            assert rubric is not None
            rows = list(session.execute(select(JudgeJudgment, Comparison).join(
                Comparison, col(Comparison.id) == col(JudgeJudgment.comparison_id))))  # fmt: skip
        for judgment, comparison in rows:
            # Whichever side sft was drawn on, the stored winner is sft and its tags are on sft's answer.
            assert label[judgment.winner_candidate_id or 0] == "sft"
            assert judgment.left_candidate_id in (comparison.candidate_a_id, comparison.candidate_b_id)
            assert (judgment.patterns_a, judgment.patterns_b) == ([], ["tradeoffs"])
            assert (judgment.rubric_version, judgment.rubric_sha256, judgment.model) == (
                1, rubric.sha256, "judge-model"
            )  # fmt: skip
            assert judgment.dropped_patterns == 1
        # What was sent: the rubric and reply format, then the prompt, its expected patterns and two answers.
        body = fake.requests[0]["body"]
        assert body["model"] == "judge-model"
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        assert system.startswith(rubric.text)
        assert '"winner": "left" or "right" or "tie"' in system
        assert "Use only these slugs: " in system
        assert "Expected patterns: tradeoffs (" in user
        assert "openai:" not in user
        # Sides are drawn per call and recorded: the left candidate matches what the request showed.
        shown_left = [sides(r["body"]["messages"])[0].split()[2] for r in fake.requests]
        with session_scope(engine, read_only=True) as session:
            stored = session.execute(
                select(col(JudgeJudgment.left_candidate_id)).order_by(col(JudgeJudgment.id))
            )
            assert [label[int(i)] for i in stored.scalars()] == shown_left
        assert set(shown_left) == {"base", "sft"}
        assert judge_position(engine, eid)["left"] == shown_left.count("sft")

    def test_a_second_run_asks_only_for_comparisons_not_yet_judged(
        self, engine: Engine, fake: FakeChat
    ) -> None:
        eid = ready(engine)
        configure(engine, fake)
        assert run_judge(engine, eid, limit=5)["judged"] == 5
        assert len(fake.requests) == 5
        assert run_judge(engine, eid)["judged"] == 7
        assert len(fake.requests) == 12
        again = run_judge(engine, eid)
        assert (again["comparisons"], again["judged"]) == (0, 0)
        assert len(fake.requests) == 12
        # A new rubric version is a new question: every comparison is asked again, and only it is reported.
        with session_scope(engine) as session:
            save_rubric(session, evaluation_id=eid, text="Prefer the shorter answer.", user_id=None)
        assert run_judge(engine, eid, limit=3)["judged"] == 3
        assert len(fake.requests) == 15
        assert fake.requests[-1]["body"]["messages"][0]["content"].startswith("Prefer the shorter answer.")
        with session_scope(engine, read_only=True) as session:
            judge = build_report(session, evaluation=get_evaluation(session, evaluation_id=eid)).to_json()[
                "judge"
            ]
        assert (judge["rubric"]["version"], judge["judged"]) == (2, 3)
        assert count(engine, JudgeJudgment) == 15

    def test_malformed_replies_are_reported_in_words_and_not_stored(self, engine: Engine) -> None:
        def reply(messages: list[dict[str, str]]) -> str:
            left, _ = sides(messages)
            number = int(left.rsplit(" ", 1)[-1])
            if number % 3 == 0:
                return "I prefer the left one."
            if number % 3 == 1:
                return json.dumps({"winner": "first"})
            return sft_wins(messages)

        eid = ready(engine)
        with serve_chat(reply) as fake:
            configure(engine, fake)
            result = run_judge(engine, eid)
        assert (result["judged"], result["failed"]) == (4, 8)
        assert any("not JSON" in line for line in result["failures"])
        assert any('not "left", "right" or "tie"' in line for line in result["failures"])
        assert all(line.startswith("comparison ") for line in result["failures"])
        assert count(engine, JudgeJudgment) == 4
        with session_scope(engine, read_only=True) as session:
            kinds = session.execute(select(col(JudgeFailure.kind))).scalars().all()
            judge = build_report(session, evaluation=get_evaluation(session, evaluation_id=eid)).to_json()[
                "judge"
            ]
        assert kinds == ["malformed"] * 8
        assert judge["failed"] == {"malformed": 8, "provider": 0}
        assert judge["judged"] == 4

    def test_a_provider_error_stops_the_run_and_is_reported(self, engine: Engine, fake: FakeChat) -> None:
        eid = ready(engine, rows=4)
        configure(engine, fake)
        fake.fail_next = 500
        result = run_judge(engine, eid)
        assert result["judged"] == 0
        assert "HTTP 500" in result["error"]
        assert len(fake.requests) == 1
        assert KEY not in result["error"]
        with session_scope(engine, read_only=True) as session:
            judge = build_report(session, evaluation=get_evaluation(session, evaluation_id=eid)).to_json()[
                "judge"
            ]
        assert judge["failed"] == {"malformed": 0, "provider": 1}
        assert run_judge(engine, eid)["judged"] == 4  # the next run asks again

    def test_launch_is_refused_without_a_provider_or_comparisons(self, engine: Engine) -> None:
        eid = ready(engine, rows=4)
        with (
            session_scope(engine) as session,
            pytest.raises(ProviderNotConfiguredError, match="no suggestion provider"),
        ):
            launch_judge(session, evaluation_id=eid, limit=10, user_id=None)
        release_id = tagged_release(engine, rows=4)
        pending, _ = new_evaluation(engine, release_id, {"a": "openai:x", "b": "openai:y"})
        with session_scope(engine) as session:
            save_provider(session, base_url="http://127.0.0.1:9/v1", model="m", api_key=KEY, user_id=None)
        with session_scope(engine) as session, pytest.raises(Exception, match="no comparisons yet"):
            launch_judge(session, evaluation_id=pending, limit=10, user_id=None)
        assert count(engine, Job) == 2  # the two evaluations' generation jobs, no judge job


class TestAgreement:
    def test_agreement_with_reviewers_matches_hand_computed_values(
        self, engine: Engine, fake: FakeChat
    ) -> None:
        eid = ready(engine)
        with session_scope(engine) as session:
            r1, r2 = add_user(session), add_user(session)
            base, sft = (c.id or 0 for c in candidates_of(session, evaluation_id=eid))
            c1, c2, c3, c4 = session.execute(
                select(col(Comparison.id)).where(col(Comparison.evaluation_id) == eid).order_by(col(Comparison.id))
            ).scalars().all()[:4]  # fmt: skip
            # (comparison, reviewer, winner, tags on base (a), tags on sft (b))
            for cid, reviewer, winner, on_base, on_sft in [
                (c1, r1, sft, [], ["tradeoffs"]),  # winner agrees; 4 of 4 tags agree
                (c2, r1, base, ["tradeoffs", "testing"], []),  # winner disagrees; tags 1 of 4
                (c3, r1, None, [], []),  # reviewers split: no clear verdict; tags 3 of 4
                (c3, r2, sft, [], ["tradeoffs"]),  # tags 4 of 4
                (c4, r1, sft, [], []),  # majority sft: agrees; tags 3 of 4
                (c4, r2, sft, [], []),  # tags 3 of 4
            ]:
                session.add(ComparisonJudgment(
                    comparison_id=cid, evaluation_id=eid, reviewer_id=reviewer.id or 0, left_candidate_id=base,
                    winner_candidate_id=winner, patterns_a=on_base, patterns_b=on_sft,
                ))  # fmt: skip
        before = human_report(engine, eid)
        configure(engine, fake)
        run_judge(engine, eid)
        assert human_report(engine, eid) == before
        assert before["judged"] == 6
        with session_scope(engine, read_only=True) as session:
            judge = build_report(session, evaluation=get_evaluation(session, evaluation_id=eid)).to_json()[
                "judge"
            ]
        agreement = judge["agreement"]
        assert (agreement["compared"], agreement["agreed"], agreement["no_clear_human_verdict"]) == (3, 2, 1)
        assert agreement["rate"] == pytest.approx(2 / 3)
        assert agreement["per_pattern"] == {
            "testing": {"compared": 12, "agreed": 11, "rate": pytest.approx(11 / 12)},
            "tradeoffs": {"compared": 12, "agreed": 7, "rate": pytest.approx(7 / 12)},
        }
        # The judge's own figures use the reviewers' statistics: sft shows tradeoffs, never testing.
        assert judge["candidates"]["sft"]["adherence"]["overall"] == pytest.approx(0.5)
        assert judge["candidates"]["sft"]["adherence"]["instances"] == 24
        assert judge["candidates"]["base"]["adherence"]["overall"] == 0.0
        h2h = judge["head_to_head"][0]
        assert (h2h["a"], h2h["b"], h2h["wins_a"], h2h["wins_b"], h2h["ties"]) == ("base", "sft", 0, 12, 0)
        assert sum(judge["position"].values()) == 12
        assert judge["position"]["tie"] == 0
        assert judge["dropped_patterns"] == 12


@pytest.fixture
def users(engine: Engine, fast_passwords: None) -> None:
    make_user(engine, "boss", role="admin")
    make_user(engine, "rev")


class TestPagesAndRoutes:
    def test_admin_launches_the_judge_and_sees_its_block(
        self, engine: Engine, fake: FakeChat, users: None
    ) -> None:
        eid = ready(engine, rows=4)
        admin = signed_in("boss")
        page = BeautifulSoup(admin.get(f"/admin/evaluations/{eid}").text, "html.parser")
        assert page.select_one("#judge-no-provider") is not None
        assert page.select_one("#judge-form") is None
        textarea = page.select_one("#rubric-form textarea[name=text]")
        assert textarea is not None
        assert "better follows the expected patterns" in textarea.text
        configure(engine, fake)
        response = post_form(admin, f"/admin/evaluations/{eid}/judge", {"limit": "10"})
        assert response.status_code == 303, response.text
        job_id = int(response.headers["location"].rsplit("/", 1)[-1])
        execute(engine, job_id)
        page = BeautifulSoup(admin.get(f"/admin/evaluations/{eid}").text, "html.parser")
        block = page.select_one("#judge-report")
        assert block is not None
        assert block["data-judged"] == "4"
        assert page.select_one("#judge-form") is not None
        rows = {tr["data-candidate"] for tr in page.select("#judge-adherence tbody tr")}
        assert rows == {"base", "sft"}
        assert "not part of the decision" in block.text
        report = admin.get(f"/admin/evaluations/{eid}/report.json").json()
        assert report["judge"]["judged"] == 4
        assert report["judged"] == 0

    def test_judge_route_errors(self, engine: Engine, users: None) -> None:
        eid = ready(engine, rows=4)
        admin = signed_in("boss")
        refused = post_form(admin, f"/admin/evaluations/{eid}/judge", {"limit": "10"})
        assert refused.status_code == 409
        assert "no suggestion provider is configured" in refused.text
        with session_scope(engine) as session:
            save_provider(session, base_url="http://127.0.0.1:9/v1", model="m", api_key=KEY, user_id=None)
        assert post_form(admin, "/admin/evaluations/999999/judge", {"limit": "10"}).status_code == 404
        assert post_form(admin, f"/admin/evaluations/{eid}/judge", {"limit": "0"}).status_code == 422
        assert post_form(admin, "/admin/evaluations/abc/judge", {"limit": "1"}).status_code == 422
        assert (
            post_form(signed_in("rev"), f"/admin/evaluations/{eid}/judge", {"limit": "1"}).status_code == 403
        )
        assert count(engine, Job) == 1  # the generation job only

    def test_rubric_route(self, engine: Engine, users: None) -> None:
        eid = ready(engine, rows=4)
        admin = signed_in("boss")
        saved = post_form(admin, f"/admin/evaluations/{eid}/rubric", {"text": "Prefer tested answers."})
        assert saved.status_code == 303
        page = BeautifulSoup(admin.get(f"/admin/evaluations/{eid}").text, "html.parser")
        textarea = page.select_one("#rubric-form textarea[name=text]")
        assert textarea is not None
        assert textarea.text == "Prefer tested answers."
        empty = post_form(admin, f"/admin/evaluations/{eid}/rubric", {"text": " "})
        assert empty.status_code == 422
        error = BeautifulSoup(empty.text, "html.parser").select_one("#rubric-error")
        assert error is not None
        assert "the rubric is empty" in error.text
        reset = post_form(admin, f"/admin/evaluations/{eid}/rubric", {"text": "x", "reset": "default"})
        assert reset.status_code == 303
        with session_scope(engine, read_only=True) as session:
            rubric = current_rubric(session, evaluation_id=eid)
            assert rubric is not None
            assert (rubric.version, "better follows the expected patterns" in rubric.text) == (2, True)
        assert post_form(admin, f"/admin/evaluations/{eid}/rubric", {"reset": "maybe"}).status_code == 422
        assert post_form(admin, "/admin/evaluations/999999/rubric", {"text": "x"}).status_code == 404
        assert (
            post_form(signed_in("rev"), f"/admin/evaluations/{eid}/rubric", {"text": "x"}).status_code == 403
        )


class TestApi:
    def test_rubric_is_read_and_versioned_through_the_api(self, engine: Engine, users: None) -> None:
        eid = ready(engine, rows=4)
        http, admin = client(), bearer(make_token(engine, "boss"))
        url = f"/api/v1/evaluations/{eid}/judge/rubric"
        default = http.get(url, headers=admin).json()
        assert (default["version"], default["created_at"]) == (None, None)
        assert "better follows the expected patterns" in default["text"]
        assert default["sha256"] == rubric_sha256(default["text"])
        saved = http.put(url, json={"text": "Prefer tested answers.\r\n"}, headers=admin)
        assert saved.status_code == 200, saved.text
        assert (saved.json()["version"], saved.json()["text"]) == (1, "Prefer tested answers.")
        again = http.put(url, json={"text": "Prefer tested answers."}, headers=admin).json()
        assert again["version"] == 1  # the same text keeps the version its judgments were made under
        reset = http.put(url, json={"text": None}, headers=admin).json()
        assert reset["version"] == 2
        assert reset["text"] == default["text"]
        assert http.get(url, headers=admin).json() == reset
        empty = http.put(url, json={"text": "  "}, headers=admin)
        assert empty.status_code == 422
        assert "the rubric is empty" in empty.json()["detail"]
        assert http.put(url, json={"text": "x", "version": 9}, headers=admin).status_code == 422
        assert http.put(url, json={}, headers=admin).status_code == 422
        assert http.get("/api/v1/evaluations/999999/judge/rubric", headers=admin).status_code == 404
        assert http.get(url).status_code == 401
        assert http.put(url, json={"text": "x"}, headers=bearer(make_token(engine, "rev"))).status_code == 403
        with session_scope(engine, read_only=True) as session:
            rubric = current_rubric(session, evaluation_id=eid)
            assert rubric is not None
            assert rubric.version == 2

    def test_admin_launches_the_judge_through_the_api(
        self, engine: Engine, fake: FakeChat, users: None
    ) -> None:
        eid = ready(engine, rows=4)
        http, admin = client(), bearer(make_token(engine, "boss"))
        url = f"/api/v1/evaluations/{eid}/judge"
        refused = http.post(url, json={"limit": 10}, headers=admin)
        assert refused.status_code == 409
        assert "no suggestion provider is configured" in refused.json()["detail"]
        configure(engine, fake)
        assert http.post(url, json={"limit": 0}, headers=admin).status_code == 422
        assert http.post(url, json={"limit": 10, "rubric_id": 1}, headers=admin).status_code == 422
        assert (
            http.post(url, json={"limit": 10}, headers=bearer(make_token(engine, "rev"))).status_code == 403
        )
        assert http.post(url, json={"limit": 10}).status_code == 401
        assert (
            http.post("/api/v1/evaluations/999999/judge", json={"limit": 1}, headers=admin).status_code == 404
        )
        assert count(engine, Job) == 1  # the generation job only: nothing refused was queued
        launched = http.post(url, json={"limit": 3}, headers=admin)
        assert launched.status_code == 202, launched.text
        body = launched.json()
        assert (body["evaluation_id"], body["rubric_version"], body["limit"]) == (eid, 1, 3)
        queued = http.get(f"/api/v1/jobs/{body['job_id']}", headers=admin).json()
        assert (queued["kind"], queued["status"], queued["finished_at"]) == (
            "judge_evaluation",
            "queued",
            None,
        )
        execute(engine, body["job_id"])
        done = http.get(f"/api/v1/jobs/{body['job_id']}", headers=admin).json()
        assert (done["status"], done["error"]) == ("succeeded", None)
        assert done["finished_at"] is not None
        assert done["result"]["judged"] == 3
        assert (
            http.get(f"/api/v1/jobs/{body['job_id']}", headers=bearer(make_token(engine, "rev"))).status_code
            == 403
        )
        report = http.get(f"/api/v1/evaluations/{eid}", headers=admin).json()
        assert report["judge"]["judged"] == 3
        assert len(fake.requests) == 3
        assert report["judged"] == 0  # the human figures are the reviewers' alone


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


class TestCommand:
    def test_eval_judge_wait_json(self, engine: Engine, fake: FakeChat) -> None:
        eid = ready(engine, rows=4)
        code, _, err = run("eval", "judge", str(eid), "--wait")
        assert code == 1
        assert "no suggestion provider is configured" in err
        configure(engine, fake)
        code, out, err = run("eval", "judge", str(eid), "--limit", "3", "--wait", "--json")
        assert code == 0, err
        body = json.loads(out)
        assert body["result"]["judged"] == 3
        assert body["judge"]["judged"] == 3
        code, out, _ = run("eval", "show", str(eid), "--json")
        report = json.loads(out)
        assert report["judge"]["judged"] == 3
        assert report["judged"] == 0
        code, _, err = run("eval", "judge", str(eid), "--wait")
        assert code == 0, err
        assert "judged 1 of 1 comparisons" in err
        code, _, _ = run("eval", "show", str(eid))
        assert code == 0
