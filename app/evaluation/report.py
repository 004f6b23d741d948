"""The evaluation report: adherence per candidate, head-to-head results and the decision, from human judgments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.evaluation.models import Comparison, ComparisonJudgment, EvalPrompt, Evaluation
from app.evaluation.service import answer_counts, candidate_pairs, candidates_of, prompts_of
from app.evaluation.stats import Adherence, Decision, HeadToHead, Instance, adherence, decide, head_to_head


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

    def to_json(self) -> dict[str, Any]:
        """The shape `pairwise eval show --json` and the API print (see the README)."""
        e = self.evaluation
        candidates = {}
        for label, spec in self.specs.items():
            a = self.adherence[label]
            candidates[label] = {
                "spec": spec,
                "answers": self.answers.get(label, 0),
                "adherence": {
                    "overall": a.overall, "ci95": list(a.ci95), "per_pattern": a.per_pattern,
                    "per_pattern_ci95": {k: list(v) for k, v in a.per_pattern_ci95.items()},
                    "spread": a.spread, "instances": a.instances,
                },
            }  # fmt: skip
        return {
            "id": e.id, "name": e.name, "status": e.status, "prompts": self.prompts,
            "prompts_without_patterns": self.prompts_without_patterns, "judged": self.judged,
            "baseline": e.baseline, "subject": e.subject, "candidates": candidates,
            "head_to_head": [h.to_json() for h in self.head_to_head], "decision": self.decision.to_json(),
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
    )  # fmt: skip
