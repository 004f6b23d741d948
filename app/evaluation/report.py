"""The evaluation report: adherence per candidate, head-to-head results and the decision, from human judgments;
and, apart, the model judge's figures and their agreement with the reviewers (never part of the decision)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.evaluation.judge import current_rubric
from app.evaluation.models import (
    Comparison,
    ComparisonJudgment,
    EvalCandidate,
    EvalPrompt,
    Evaluation,
    JudgeFailure,
    JudgeJudgment,
)
from app.evaluation.service import answer_counts, candidate_pairs, candidates_of, prompts_of
from app.evaluation.stats import (
    Adherence,
    Decision,
    HeadToHead,
    Instance,
    adherence,
    decide,
    head_to_head,
    wilson,
)


def adherence_json(a: Adherence) -> dict[str, Any]:
    return {
        "overall": a.overall, "ci95": list(a.ci95), "per_pattern": a.per_pattern,
        "per_pattern_ci95": {k: list(v) for k, v in a.per_pattern_ci95.items()},
        "spread": a.spread, "instances": a.instances,
    }  # fmt: skip


@dataclass(slots=True)
class Agreement:
    """How often the judge's winner equals the reviewers' verdict on the comparisons both judged."""

    compared: int = 0
    agreed: int = 0
    # Comparisons both judged where the reviewers split evenly (no clear human verdict): left out.
    split: int = 0
    # Tag agreement per expected pattern: (looks compared, looks where judge and reviewer agree).
    per_pattern: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.agreed / self.compared if self.compared else None

    def to_json(self) -> dict[str, Any]:
        return {
            "compared": self.compared, "agreed": self.agreed, "rate": self.rate,
            "ci95": list(wilson(self.agreed, self.compared)), "no_clear_human_verdict": self.split,
            "per_pattern": {
                slug: {"compared": n, "agreed": k, "rate": k / n if n else None}
                for slug, (n, k) in sorted(self.per_pattern.items())
            },
        }  # fmt: skip


@dataclass(slots=True)
class JudgeReport:
    """The model judge's block of the report: under the evaluation's current rubric version only."""

    rubric_version: int | None = None
    rubric_sha256: str | None = None
    judged: int = 0
    models: list[str] = field(default_factory=list)
    adherence: dict[str, Adherence] = field(default_factory=dict)
    head_to_head: list[HeadToHead] = field(default_factory=list)
    agreement: Agreement = field(default_factory=Agreement)
    # Where the judge's winner was shown: position bias shows as more "left" than "right" wins.
    position: dict[str, int] = field(default_factory=lambda: {"left": 0, "right": 0, "tie": 0})
    malformed: int = 0
    provider_errors: int = 0
    dropped_patterns: int = 0

    def to_json(self) -> dict[str, Any]:
        """The report's "judge" key (see the README); never read by the decision."""
        return {
            "rubric": None if self.rubric_version is None else {"version": self.rubric_version,
                                                                 "sha256": self.rubric_sha256},
            "judged": self.judged, "models": self.models,
            "candidates": {label: {"adherence": adherence_json(a)} for label, a in self.adherence.items()},
            "head_to_head": [h.to_json() for h in self.head_to_head], "agreement": self.agreement.to_json(),
            "position": dict(self.position),
            "failed": {"malformed": self.malformed, "provider": self.provider_errors},
            "dropped_patterns": self.dropped_patterns,
        }  # fmt: skip


@dataclass(slots=True)
class Report:
    evaluation: Evaluation
    prompts: int
    prompts_without_patterns: int
    judged: int
    specs: dict[str, str]
    answers: dict[str, int]
    adherence: dict[str, Adherence]
    head_to_head: list[HeadToHead]
    decision: Decision
    judge: JudgeReport = field(default_factory=lambda: JudgeReport())

    def to_json(self) -> dict[str, Any]:
        """The shape `pairwise eval show --json` and the API print (see the README)."""
        e = self.evaluation
        candidates = {}
        for label, spec in self.specs.items():
            a = self.adherence[label]
            candidates[label] = {
                "spec": spec,
                "answers": self.answers.get(label, 0),
                "adherence": adherence_json(a),
            }
        return {
            "id": e.id, "name": e.name, "status": e.status, "prompts": self.prompts,
            "prompts_without_patterns": self.prompts_without_patterns, "judged": self.judged,
            "baseline": e.baseline, "subject": e.subject, "candidates": candidates,
            "head_to_head": [h.to_json() for h in self.head_to_head], "decision": self.decision.to_json(),
            "judge": self.judge.to_json(),
        }  # fmt: skip


def build_report(session: Session, *, evaluation: Evaluation) -> Report:
    eid = evaluation.id or 0
    candidates = candidates_of(session, evaluation_id=eid)
    label = {c.id: c.label for c in candidates}
    prompts: dict[int, EvalPrompt] = {p.id or 0: p for p in prompts_of(session, evaluation_id=eid)}
    rows = session.execute(
        select(ComparisonJudgment, Comparison)
        .join(Comparison, col(Comparison.id) == col(ComparisonJudgment.comparison_id))
        .where(col(ComparisonJudgment.evaluation_id) == eid)
        .order_by(col(ComparisonJudgment.id))
    ).all()
    instances: dict[str, list[Instance]] = {c.label: [] for c in candidates}
    judged_answers: dict[str, int] = {c.label: 0 for c in candidates}
    outcomes: dict[tuple[int, int], list[int]] = {}
    for judgment, comparison in rows:
        expected = prompts[comparison.prompt_id].expected_patterns
        for cid, tags in (
            (comparison.candidate_a_id, judgment.patterns_a),
            (comparison.candidate_b_id, judgment.patterns_b),
        ):
            if expected:
                judged_answers[label[cid]] += 1
            # Each reviewer's look at an answer counts once per pattern the prompt expects.
            instances[label[cid]].extend(
                Instance(comparison.prompt_id, slug, slug in tags) for slug in expected
            )
        tally = outcomes.setdefault((comparison.candidate_a_id, comparison.candidate_b_id), [0, 0, 0])
        if judgment.winner_candidate_id == comparison.candidate_a_id:
            tally[0] += 1
        elif judgment.winner_candidate_id == comparison.candidate_b_id:
            tally[1] += 1
        else:
            tally[2] += 1
    results = {name: adherence(items) for name, items in instances.items()}
    h2h = []
    for a, b in candidate_pairs(evaluation, candidates):
        wins_a, wins_b, ties = outcomes.get((a.id or 0, b.id or 0), [0, 0, 0])
        h2h.append(head_to_head(a.label, b.label, wins_a=wins_a, wins_b=wins_b, ties=ties))
    subject = evaluation.subject
    with_patterns = [p for p in prompts.values() if p.expected_patterns]
    if subject and judged_answers.get(subject):
        per_judgment = results[subject].instances / judged_answers[subject]
    else:
        per_judgment = (
            sum(len(p.expected_patterns) for p in with_patterns) / len(with_patterns)
            if with_patterns
            else 1.0
        )
    counts = answer_counts(session, evaluation_id=eid)
    return Report(
        evaluation=evaluation, prompts=len(prompts), prompts_without_patterns=len(prompts) - len(with_patterns),
        judged=len(rows), specs={c.label: c.spec for c in candidates},
        answers={c.label: counts.get(c.id or 0, 0) for c in candidates}, adherence=results, head_to_head=h2h,
        decision=decide(subject, results.get(subject) if subject else None, instances_per_judgment=per_judgment),
        judge=build_judge_report(session, evaluation=evaluation, candidates=candidates, prompts=prompts,
                                 human=[(j, c) for j, c in rows]),
    )  # fmt: skip


def build_judge_report(
    session: Session, *, evaluation: Evaluation, candidates: list[EvalCandidate], prompts: dict[int, EvalPrompt],
    human: list[tuple[ComparisonJudgment, Comparison]],
) -> JudgeReport:  # fmt: skip
    """The judge's adherence and head-to-head (the same statistics as the reviewers'), its agreement with the
    reviewers where both judged a comparison, and its failed calls, under the current rubric version."""
    eid = evaluation.id or 0
    rubric = current_rubric(session, evaluation_id=eid)
    labels = {c.id: c.label for c in candidates}
    if rubric is None:
        return JudgeReport(
            adherence={c.label: adherence([]) for c in candidates},
            head_to_head=[head_to_head(a.label, b.label, wins_a=0, wins_b=0, ties=0)
                          for a, b in candidate_pairs(evaluation, candidates)],
        )  # fmt: skip
    rows = session.execute(
        select(JudgeJudgment, Comparison)
        .join(Comparison, col(Comparison.id) == col(JudgeJudgment.comparison_id))
        .where(col(JudgeJudgment.rubric_id) == rubric.id)
        .order_by(col(JudgeJudgment.id))
    ).all()
    instances: dict[str, list[Instance]] = {c.label: [] for c in candidates}
    outcomes: dict[tuple[int, int], list[int]] = {}
    position = {"left": 0, "right": 0, "tie": 0}
    by_comparison: dict[int, JudgeJudgment] = {}
    for judgment, comparison in rows:
        by_comparison[comparison.id or 0] = judgment
        expected = prompts[comparison.prompt_id].expected_patterns
        for cid, tags in (
            (comparison.candidate_a_id, judgment.patterns_a),
            (comparison.candidate_b_id, judgment.patterns_b),
        ):
            instances[labels[cid]].extend(
                Instance(comparison.prompt_id, slug, slug in tags) for slug in expected
            )
        tally = outcomes.setdefault((comparison.candidate_a_id, comparison.candidate_b_id), [0, 0, 0])
        if judgment.winner_candidate_id is None:
            tally[2] += 1
            position["tie"] += 1
        else:
            tally[0 if judgment.winner_candidate_id == comparison.candidate_a_id else 1] += 1
            position["left" if judgment.winner_candidate_id == judgment.left_candidate_id else "right"] += 1
    h2h = []
    for a, b in candidate_pairs(evaluation, candidates):
        wins_a, wins_b, ties = outcomes.get((a.id or 0, b.id or 0), [0, 0, 0])
        h2h.append(head_to_head(a.label, b.label, wins_a=wins_a, wins_b=wins_b, ties=ties))
    failures = {
        str(kind): int(n)
        for kind, n in session.execute(
            select(col(JudgeFailure.kind), func.count())
            .where(col(JudgeFailure.rubric_id) == rubric.id)
            .group_by(col(JudgeFailure.kind))
        )
    }
    return JudgeReport(
        rubric_version=rubric.version, rubric_sha256=rubric.sha256, judged=len(rows),
        models=sorted({j.model for j, _ in rows}), adherence={k: adherence(v) for k, v in instances.items()},
        head_to_head=h2h, agreement=agreement(by_comparison, human, prompts), position=position,
        malformed=failures.get("malformed", 0), provider_errors=failures.get("provider", 0),
        dropped_patterns=sum(j.dropped_patterns for j, _ in rows),
    )  # fmt: skip


def agreement(
    judge: dict[int, JudgeJudgment], human: list[tuple[ComparisonJudgment, Comparison]],
    prompts: dict[int, EvalPrompt],
) -> Agreement:  # fmt: skip
    """Winner: per comparison both judged, the reviewers' verdict is their most common one (a candidate, or a
    tie); an even split has none and is left out. Tags: per reviewer's look at an answer and pattern the
    prompt expects, whether the judge's tag on that answer matches the reviewer's."""
    verdicts: dict[int, Counter[int | None]] = {}
    result = Agreement()
    for human_judgment, comparison in human:
        cid = comparison.id or 0
        model = judge.get(cid)
        if model is None:
            continue
        verdicts.setdefault(cid, Counter())[human_judgment.winner_candidate_id] += 1
        for tags, model_tags in (
            (human_judgment.patterns_a, model.patterns_a),
            (human_judgment.patterns_b, model.patterns_b),
        ):
            for slug in prompts[comparison.prompt_id].expected_patterns:
                n, k = result.per_pattern.get(slug, (0, 0))
                result.per_pattern[slug] = (n + 1, k + ((slug in tags) == (slug in model_tags)))
    for cid, counts in verdicts.items():
        ranked = counts.most_common(2)
        if len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
            result.split += 1
            continue
        result.compared += 1
        result.agreed += ranked[0][0] == judge[cid].winner_candidate_id
    return result
