"""Evaluation pages: the admin form (prefilled from a run, errors in words), the report page with its decision,
chart and chaining links, and the reviewer's blind comparison screen with the review keys' markup."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine, func, select

from app.db import session_scope
from app.evaluation import queue
from app.evaluation.models import ComparisonJudgment, EvalAnswer, Evaluation
from app.evaluation.service import get_evaluation
from app.training.models import RunStatus, TrainingRun
from tests.evaluation.conftest import new_evaluation, ready_evaluation, tagged_release
from tests.page_helpers import attr, one
from tests.training.conftest import execute
from tests.training.fake_openai import FakeOpenAI
from tests.web_helpers import get_user, make_user, post_form, signed_in


@pytest.fixture
def users(training_engine: Engine, fast_passwords: None) -> None:
    make_user(training_engine, "boss", role="admin")
    make_user(training_engine, "rev")


def finished_run(engine: Engine, release_id: int, *, parent: int | None = None) -> int:
    with session_scope(engine) as session:
        run = TrainingRun(
            release_id=release_id, backend="openai", base_model="gpt-4.1-mini-2025-04-14", method="supervised",
            status=RunStatus.succeeded, fine_tuned_model="ft:gpt-4.1-mini-2025-04-14:org::abc123",
            options={"parent_run_id": parent} if parent else {},
        )  # fmt: skip
        session.add(run)
        session.flush()
        return run.id or 0


def test_the_form_is_prefilled_from_a_run_and_creates_an_evaluation(
    training_engine: Engine, openai_env: FakeOpenAI, users: None
) -> None:
    release_id = tagged_release(training_engine, rows=12)
    run_id = finished_run(training_engine, release_id)
    admin = signed_in("boss")
    page = admin.get(f"/admin/evaluations/new?from_run={run_id}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    candidates = soup.select_one("textarea[name=candidates]")
    assert candidates is not None
    assert candidates.text.split() == ["base=openai:gpt-4.1-mini-2025-04-14", f"run-{run_id}=run:{run_id}"]
    form = {
        field["name"]: field.get("value", "")
        for field in soup.select("#evaluation-form input[name]")
        if field.get("type") not in ("radio", "hidden")
    }
    form.update(
        candidates=candidates.text, release_id=str(release_id), split="validation", compare="baseline"
    )
    response = post_form(admin, "/admin/evaluations", form)
    assert response.status_code == 303, response.text
    evaluation_id = int(response.headers["location"].rsplit("/", 1)[-1])
    with session_scope(training_engine, read_only=True) as session:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
        assert (evaluation.baseline, evaluation.subject, evaluation.compare) == (
            "base",
            f"run-{run_id}",
            "baseline",
        )
        job_id = evaluation.job_id or 0
    assert execute(training_engine, job_id).status == "succeeded"
    assert {c.body["model"] for c in openai_env.calls("POST", "/v1/chat/completions")} == {
        "gpt-4.1-mini-2025-04-14", "ft:gpt-4.1-mini-2025-04-14:org::abc123"
    }  # fmt: skip
    show = admin.get(f"/admin/evaluations/{evaluation_id}")
    soup = BeautifulSoup(show.text, "html.parser")
    assert one(soup, "#evaluation-status").text == "ready"
    assert one(soup, "#decision")["data-verdict"] == "inconclusive"
    links = [a["href"] for a in soup.select("#chain-links a")]
    assert f"/admin/evaluations/new?release_id={release_id}&from_run={run_id}" in links


def test_form_errors_are_shown_in_words_and_store_nothing(training_engine: Engine, users: None) -> None:
    release_id = tagged_release(training_engine, rows=8)
    admin = signed_in("boss")
    form = {
        "name": "bad",
        "release_id": str(release_id),
        "candidates": "a=openai:x\nb=nope:y",
        "split": "validation",
    }
    response = post_form(admin, "/admin/evaluations", form)
    assert response.status_code == 422
    error = BeautifulSoup(response.text, "html.parser").select_one("#form-error")
    assert error is not None
    assert "nope:y" in error.text
    with session_scope(training_engine, read_only=True) as session:
        assert session.execute(select(func.count()).select_from(Evaluation)).scalar_one() == 0


def test_the_report_page_shows_adherence_chart_and_run_links(
    training_engine: Engine, openai_env: FakeOpenAI, users: None
) -> None:
    release_id = tagged_release(training_engine, rows=12)
    sft = finished_run(training_engine, release_id)
    dpo = finished_run(training_engine, release_id, parent=sft)
    evaluation_id, job_id = new_evaluation(
        training_engine, release_id, {"sft": f"run:{sft}", "dpo": f"run:{dpo}"}
    )
    assert execute(training_engine, job_id).status == "succeeded"
    with session_scope(training_engine) as session:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
        reviewer = get_user(session, "rev")
        while (lease := queue.lease_next(session, evaluation=evaluation, reviewer=reviewer)) is not None:
            queue.submit(session, evaluation_id=evaluation_id, comparison_id=lease.comparison_id, reviewer=reviewer,
                         verdict="right", patterns_left=["tradeoffs"], patterns_right=["tradeoffs", "testing"])  # fmt: skip
    page = signed_in("boss").get(f"/admin/evaluations/{evaluation_id}")
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select("#adherence-chart svg rect")
    rows = {tr["data-candidate"]: tr for tr in soup.select("#adherence tbody tr")}
    assert set(rows) == {"sft", "dpo"}
    texts = [a.text for a in soup.select("#chain-links a")]
    assert f"Evaluate run {dpo} against run {sft}" in texts
    without = soup.select_one("#without-patterns")
    assert without is not None
    assert "without expected patterns" in without.text


def test_the_reviewer_screen_is_blind_and_uses_the_review_keys(
    training_engine: Engine, openai_env: FakeOpenAI, users: None
) -> None:
    openai_env.chat_reply = lambda model, messages: (
        f"<script>alert('{model}')</script> **answer** [x](javascript:alert(1))"
    )
    evaluation_id = ready_evaluation(training_engine)
    rev = signed_in("rev")
    listing = BeautifulSoup(rev.get("/evaluations").text, "html.parser")
    assert listing.select_one(f"a[href='/evaluations/{evaluation_id}/review']") is not None
    page = rev.get(f"/evaluations/{evaluation_id}/review")
    assert page.status_code == 200
    assert "Model comparison queue" in page.text
    pane = post_form(rev, f"/evaluations/{evaluation_id}/review/next", htmx=True)
    assert pane.status_code == 200
    soup = BeautifulSoup(pane.text, "html.parser")
    section = soup.select_one("#review-pane")
    assert section is not None
    assert section["data-queue"] == "comparisons"
    assert soup.select_one("#answer-left")
    assert soup.select_one("#answer-right")
    assert {b["data-key"] for b in soup.select("[data-key]")} == {"a", "b", "e"}
    assert soup.select("#answer-left input[data-hotkey]")
    assert not soup.select("script")
    assert not [a for a in soup.select("a[href]") if "javascript" in str(a["href"]).lower()]
    assert "openai:" not in pane.text
    assert "run:" not in pane.text
    comparison_id = int(attr(section, "data-comparison-id"))
    judged = post_form(rev, f"/evaluations/{evaluation_id}/review/{comparison_id}/judge",
                       {"verdict": "left", "patterns_left": ["tradeoffs"]}, htmx=True)  # fmt: skip
    assert judged.status_code == 200
    with session_scope(training_engine, read_only=True) as session:
        judgment = session.execute(select(ComparisonJudgment)).scalar_one()
        assert judgment.winner_candidate_id == judgment.left_candidate_id
        assert session.execute(select(func.count()).select_from(EvalAnswer)).scalar_one() > 0


def test_a_reviewer_cannot_open_the_report(training_engine: Engine, users: None) -> None:
    release_id = tagged_release(training_engine, rows=8)
    evaluation_id, _ = new_evaluation(training_engine, release_id, {"a": "openai:x", "b": "openai:y"})
    rev: Any = signed_in("rev")
    assert rev.get(f"/admin/evaluations/{evaluation_id}").status_code == 403
    assert rev.get(f"/admin/evaluations/{evaluation_id}/report.json").status_code == 403
