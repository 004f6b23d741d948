"""The comparison queue and the report's arithmetic: overlap, abandoned leases, stale submits, and adherence,
head-to-head and decision figures checked by hand on a small evaluation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.auth.models import User
from app.db import session_scope
from app.errors import ConflictError
from app.evaluation import queue
from app.evaluation.models import Comparison, ComparisonLease, EvalAnswer, EvalPrompt, EvalStatus
from app.evaluation.report import build_report
from app.evaluation.service import (
    candidates_of,
    get_evaluation,
    open_comparisons,
    prompts_of,
    set_status,
)
from app.models_base import utcnow
from tests.evaluation.conftest import new_evaluation, tagged_release
from tests.releases.factories import add_user


def answered(engine: Engine, *, overlap: int = 1, candidates: int = 2, limit: int = 4) -> int:
    """An evaluation of `limit` prompts whose answers are stored directly, comparisons open."""
    release_id = tagged_release(engine, rows=8)
    specs = {f"c{i}": f"openai:model-{i}" for i in range(candidates)}
    evaluation_id, _ = new_evaluation(engine, release_id, specs, split="all", limit=limit, overlap=overlap)
    with session_scope(engine) as session:
        for c in candidates_of(session, evaluation_id=evaluation_id):
            for p in prompts_of(session, evaluation_id=evaluation_id):
                session.add(EvalAnswer(evaluation_id=evaluation_id, prompt_id=p.id or 0, candidate_id=c.id or 0,
                                       text=f"{c.label} on {p.position}"))  # fmt: skip
        session.flush()
        open_comparisons(session, evaluation_id=evaluation_id)
        set_status(session, evaluation_id=evaluation_id, status=EvalStatus.ready)
    return evaluation_id


def reviewers(engine: Engine, n: int) -> list[User]:
    with session_scope(engine) as session:
        return [add_user(session, f"r{i}") for i in range(n)]


def test_overlap_two_serves_each_comparison_to_two_reviewers_then_stops(training_engine: Engine) -> None:
    evaluation_id = answered(training_engine, overlap=2, limit=2)
    r1, r2, r3 = reviewers(training_engine, 3)
    seen: dict[str, list[int]] = {}
    with session_scope(training_engine) as session:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
        for r in (r1, r2, r3):
            while (lease := queue.lease_next(session, evaluation=evaluation, reviewer=r)) is not None:
                seen.setdefault(r.username, []).append(lease.comparison_id)
                queue.submit(session, evaluation_id=evaluation_id, comparison_id=lease.comparison_id, reviewer=r,
                             verdict="tie", patterns_left=[], patterns_right=[])  # fmt: skip
    assert len(seen[r1.username]) == len(seen[r2.username]) == 2
    assert r3.username not in seen


def test_an_abandoned_lease_comes_back_and_its_holder_gets_409(training_engine: Engine) -> None:
    evaluation_id = answered(training_engine, limit=1)
    r1, r2 = reviewers(training_engine, 2)
    with session_scope(training_engine) as session:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
        first = queue.lease_next(session, evaluation=evaluation, reviewer=r1)
        assert first is not None
        assert queue.lease_next(session, evaluation=evaluation, reviewer=r2) is None
        first.expires_at = utcnow() - timedelta(minutes=1)
        session.add(first)
        session.flush()
        second = queue.lease_next(session, evaluation=evaluation, reviewer=r2)
        assert second is not None
        assert second.comparison_id == first.comparison_id
        queue.submit(session, evaluation_id=evaluation_id, comparison_id=second.comparison_id, reviewer=r2,
                     verdict="left", patterns_left=[], patterns_right=[])  # fmt: skip
        with pytest.raises(ConflictError, match="went to another reviewer"):
            queue.submit(session, evaluation_id=evaluation_id, comparison_id=first.comparison_id, reviewer=r1,
                         verdict="left", patterns_left=[], patterns_right=[])  # fmt: skip


def test_the_side_shown_is_recorded_and_stable_per_reviewer(training_engine: Engine) -> None:
    evaluation_id = answered(training_engine, limit=4)
    (r1,) = reviewers(training_engine, 1)
    with session_scope(training_engine) as session:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
        lease = queue.lease_next(session, evaluation=evaluation, reviewer=r1)
        assert lease is not None
        again = queue.lease_next(session, evaluation=evaluation, reviewer=r1)
        assert again is not None
        assert again.left_candidate_id == lease.left_candidate_id
        view = queue.view_for(session, lease=lease)
        left_label = next(
            c.label
            for c in candidates_of(session, evaluation_id=evaluation_id)
            if c.id == lease.left_candidate_id
        )
        assert view.left_text.startswith(left_label)


def test_report_figures_match_a_hand_count(training_engine: Engine) -> None:
    """Two prompts expect ["tradeoffs"] and ["tradeoffs", "testing"]; one reviewer judges c0 vs c1 on each.

    Prompt A: c1 wins, c1 tagged tradeoffs, c0 nothing.       c1: 1/1
    Prompt B: tie, c1 tagged tradeoffs only, c0 both.         c1: 1/2, c0: 2/2
    c1 adherence 2/3, per pattern tradeoffs 2/2, testing 0/1; per-prompt 1.0 and 0.5 -> spread 0.25.
    c0 adherence 2/3 (0/1 and 2/2), spread 0.5. Head to head c0 vs c1: 0 wins, 1 loss, 1 tie -> 0.25.
    """
    evaluation_id = answered(training_engine, limit=2)
    with session_scope(training_engine) as session:
        prompts = prompts_of(session, evaluation_id=evaluation_id)
        prompts[0].expected_patterns = ["tradeoffs"]
        prompts[1].expected_patterns = ["testing", "tradeoffs"]
        session.add_all(prompts)
    (r1,) = reviewers(training_engine, 1)
    plan = {0: ("c1", [], ["tradeoffs"]), 1: (None, ["testing", "tradeoffs"], ["tradeoffs"])}
    with session_scope(training_engine) as session:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
        labels = {c.id: c.label for c in candidates_of(session, evaluation_id=evaluation_id)}
        while (lease := queue.lease_next(session, evaluation=evaluation, reviewer=r1)) is not None:
            comparison = session.get(Comparison, lease.comparison_id)
            assert comparison is not None
            prompt = session.get(EvalPrompt, comparison.prompt_id)
            assert prompt is not None
            winner, tags_c0, tags_c1 = plan[prompt.position]
            c0_left = labels[lease.left_candidate_id] == "c0"
            verdict = "tie" if winner is None else ("right" if c0_left else "left")
            queue.submit(session, evaluation_id=evaluation_id, comparison_id=lease.comparison_id, reviewer=r1,
                         verdict=verdict, patterns_left=tags_c0 if c0_left else tags_c1,
                         patterns_right=tags_c1 if c0_left else tags_c0)  # fmt: skip
    with session_scope(training_engine, read_only=True) as session:
        report = build_report(
            session, evaluation=get_evaluation(session, evaluation_id=evaluation_id)
        ).to_json()
        assert not list(
            session.execute(
                select(ComparisonLease).where(col(ComparisonLease.reviewer_id) == r1.id)
            ).scalars()
        )
    c0, c1 = report["candidates"]["c0"]["adherence"], report["candidates"]["c1"]["adherence"]
    assert c1["overall"] == pytest.approx(2 / 3)
    assert c1["per_pattern"] == {"testing": 0.0, "tradeoffs": 1.0}
    assert c1["spread"] == pytest.approx(0.25)
    assert c0["overall"] == pytest.approx(2 / 3)
    assert c0["spread"] == pytest.approx(0.5)
    (h,) = report["head_to_head"]
    assert (h["a"], h["b"], h["wins_a"], h["wins_b"], h["ties"]) == ("c0", "c1", 0, 1, 1)
    assert h["win_rate_a"] == pytest.approx(0.25)
    assert report["judged"] == 2
    assert report["decision"]["subject"] == "c1"
    assert report["decision"]["verdict"] == "consider_dpo"
