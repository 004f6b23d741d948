"""The optional model judge: the shared suggestion provider compares a comparison's two answers under a
stored rubric, tags the patterns each shows and picks a winner.

Its verdicts are kept apart from the reviewers' (JudgeJudgment, not ComparisonJudgment): the report shows
them in their own block with their agreement with the reviewers, and the human adherence, head-to-head and
SFT/DPO decision never read them.

One call per comparison and rubric version: the rubric's text is the admin-editable instruction (by default
built from the pattern taxonomy); the reply format below is fixed in code so an edit cannot break parsing.
Sides are randomized per call and the left candidate recorded, so position bias can be checked.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.assist import replies
from app.assist.client import complete
from app.assist.provider import ProviderConfig, ProviderNotConfiguredError, provider_view
from app.errors import NotFoundError, PairwiseError, ValidationFailedError
from app.evaluation.models import (
    Comparison,
    EvalAnswer,
    EvalPrompt,
    JudgeFailure,
    JudgeJudgment,
    JudgeRubric,
)
from app.evaluation.service import get_evaluation
from app.jobs.models import Job
from app.jobs.service import create_job
from app.patterns.models import Pattern
from app.patterns.service import list_patterns
from app.settings.service import audit

JOB_KIND = "judge_evaluation"
DEFAULT_LIMIT = 200
MAX_LIMIT = 10_000
MAX_RUBRIC = 20_000
MAX_PART = 6000  # characters of the prompt and of each answer sent; the opening and the end say most
MAX_REASON = 500
MAX_REPLY_TOKENS = 400
MAX_MESSAGE = 1000
REPLY_FORMAT = (
    "Reply with strict JSON only, no other text: "
    '{"winner": "left" or "right" or "tie", "patterns_left": [slugs of the patterns the left answer shows], '
    '"patterns_right": [slugs of the patterns the right answer shows], "reason": one short sentence}. '
    "Use only these slugs: {slugs}."
)


class MalformedJudgmentError(PairwiseError):
    """The model answered, but not with the JSON judgment it was asked for."""


# --------------------------------------------------------------------------------------------- rubric


def default_rubric(patterns: list[Pattern]) -> str:
    """The rubric an evaluation starts with: the taxonomy's names and descriptions and the rule."""
    lines = [
        "You compare two answers to the same prompt for a team that fine-tunes a model to follow these "
        "answer patterns:",
        "",
    ]
    for p in patterns:
        described = f": {p.description}" if p.description else ""
        lines.append(f"- {p.name} ({p.slug}){described}")
    lines += [
        "",
        "Pick the answer that better follows the expected patterns listed with the prompt: the one that shows "
        "more of them, and shows them more clearly. When both follow them equally, or the prompt lists none, "
        "pick the more correct and useful answer, or call it a tie. Tag on each answer only the patterns it "
        "actually shows, expected or not. Which side an answer is on, and its length, do not matter.",
    ]
    return "\n".join(lines)


def rubric_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def current_rubric(session: Session, *, evaluation_id: int) -> JudgeRubric | None:
    query = (
        select(JudgeRubric)
        .where(col(JudgeRubric.evaluation_id) == evaluation_id)
        .order_by(col(JudgeRubric.version).desc())
        .limit(1)
    )
    return session.exec(query).first()


def rubric_text(session: Session, *, evaluation_id: int) -> str:
    """The current rubric's text, or the default one an evaluation would start with."""
    rubric = current_rubric(session, evaluation_id=evaluation_id)
    return rubric.text if rubric else default_rubric(list_patterns(session, active_only=True))


def save_rubric(
    session: Session, *, evaluation_id: int, text: str | None, user_id: int | None
) -> JudgeRubric:
    """A new rubric version (None: the default text from the current taxonomy). The same text as the current
    version keeps it, so judgments made under it still count."""
    get_evaluation(session, evaluation_id=evaluation_id)
    if text is None:
        text = default_rubric(list_patterns(session, active_only=True))
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailedError("the rubric is empty: give the judge an instruction")
    if len(text) > MAX_RUBRIC:
        raise ValidationFailedError(f"the rubric is {len(text):,} characters; at most {MAX_RUBRIC:,}")
    current = current_rubric(session, evaluation_id=evaluation_id)
    if current is not None and current.text == text:
        return current
    rubric = JudgeRubric(
        evaluation_id=evaluation_id, version=(current.version + 1) if current else 1, text=text,
        sha256=rubric_sha256(text), created_by_id=user_id,
    )  # fmt: skip
    session.add(rubric)
    session.flush()
    audit(
        session, user_id=user_id, action="evaluation.rubric.saved", object_type="evaluation",
        object_id=evaluation_id, version=rubric.version, sha256=rubric.sha256,
    )  # fmt: skip
    return rubric


# ---------------------------------------------------------------------------------------- launching


def comparisons_to_judge(session: Session, *, evaluation_id: int, rubric_id: int, limit: int) -> list[int]:
    """The evaluation's comparisons without a judgment under this rubric version, oldest first."""
    judged = select(col(JudgeJudgment.comparison_id)).where(col(JudgeJudgment.rubric_id) == rubric_id)
    rows = session.execute(
        select(col(Comparison.id))
        .where(col(Comparison.evaluation_id) == evaluation_id, col(Comparison.id).not_in(judged))
        .order_by(col(Comparison.id))
        .limit(limit)
    ).scalars()
    return [int(i) for i in rows]


def launch_judge(session: Session, *, evaluation_id: int, limit: int, user_id: int | None) -> Job:
    """The queued "judge_evaluation" job for up to `limit` comparisons not yet judged under the current
    rubric (stored first if the evaluation has none). Refused without a provider or comparisons."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailedError(f"the judge's limit must be between 1 and {MAX_LIMIT:,}, not {limit}")
    if provider_view(session) is None:
        raise ProviderNotConfiguredError(
            "no suggestion provider is configured: an admin sets one under Settings → Suggestion provider "
            "before the model judge can run"
        )
    comparisons = session.execute(
        select(func.count()).select_from(Comparison).where(col(Comparison.evaluation_id) == evaluation_id)
    ).scalar_one()
    if not comparisons:
        raise ValidationFailedError(
            f"evaluation {evaluation_id} has no comparisons yet ({evaluation.status}): "
            "the judge runs once the answers are in"
        )
    rubric = current_rubric(session, evaluation_id=evaluation_id) or save_rubric(
        session, evaluation_id=evaluation_id, text=None, user_id=user_id
    )
    payload = {"evaluation_id": evaluation_id, "rubric_id": rubric.id, "limit": limit}
    job = create_job(session, kind=JOB_KIND, payload=payload, user_id=user_id)
    audit(
        session, user_id=user_id, action="evaluation.judge.launched", object_type="evaluation",
        object_id=evaluation_id, job_id=job.id, rubric_version=rubric.version, limit=limit,
    )  # fmt: skip
    session.flush()
    return job


# ----------------------------------------------------------------------------------- one judge call


def _bounded(text: str, limit: int = MAX_PART) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[… {len(text) - limit:,} characters left out …]\n{text[-half:]}"


@dataclass(frozen=True, slots=True)
class JudgeCall:
    """What one request is about, read in a short read-only transaction before the call."""

    comparison: Comparison
    prompt: list[dict[str, str]]
    expected: list[str]
    texts: dict[int, str]  # candidate id -> answer
    patterns: list[tuple[str, str]]  # (slug, name) of the active taxonomy


def read_call(session: Session, *, comparison_id: int) -> JudgeCall | None:
    comparison = session.get(Comparison, comparison_id)
    if comparison is None:
        return None
    prompt = session.get(EvalPrompt, comparison.prompt_id)
    texts = {
        int(c): str(t)
        for c, t in session.execute(
            select(col(EvalAnswer.candidate_id), col(EvalAnswer.text)).where(
                col(EvalAnswer.prompt_id) == comparison.prompt_id,
                col(EvalAnswer.candidate_id).in_([comparison.candidate_a_id, comparison.candidate_b_id]),
            )
        )
    }
    return JudgeCall(
        comparison=comparison, prompt=list(prompt.messages) if prompt else [],
        expected=list(prompt.expected_patterns) if prompt else [], texts=texts,
        patterns=[(p.slug, p.name) for p in list_patterns(session, active_only=True)],
    )  # fmt: skip


def judge_messages(
    *, rubric: str, call: JudgeCall, left_candidate_id: int, right_candidate_id: int
) -> list[dict[str, str]]:
    """The request: the rubric and the fixed reply format, then the prompt, its expected patterns and the two
    answers in the order drawn for this call (each part cut to MAX_PART characters)."""
    slugs = ", ".join(slug for slug, _ in call.patterns) or "(none)"
    system = f"{rubric}\n\n{REPLY_FORMAT.replace('{slugs}', slugs)}"
    names = dict(call.patterns)
    expected = (
        ", ".join(f"{slug} ({names.get(slug, slug)})" for slug in call.expected)
        if call.expected
        else "none listed"
    )
    conversation = "\n\n".join(f"[{m.get('role', 'user')}]\n{m.get('content', '')}" for m in call.prompt)
    user = (
        f"Prompt:\n{_bounded(conversation)}\n\nExpected patterns: {expected}\n\n"
        f"Left answer:\n{_bounded(call.texts.get(left_candidate_id, ''))}\n\n"
        f"Right answer:\n{_bounded(call.texts.get(right_candidate_id, ''))}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


@dataclass(frozen=True, slots=True)
class ParsedJudgment:
    winner: str  # left | right | tie
    patterns_left: list[str]
    patterns_right: list[str]
    dropped: int  # slugs not in the taxonomy, dropped
    reason: str


def _slugs(data: dict[str, Any], key: str, reply: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedJudgmentError(f"the model's {key} is not a list of slugs: {replies.shown(reply)}")
    return list(value)


def parse_judgment(reply: str, *, known: set[str]) -> ParsedJudgment:
    """The judgment in a reply; a MalformedJudgmentError that says what is wrong otherwise. One ```json fence
    is tolerated; slugs outside `known` are dropped and counted."""
    data = replies.json_object(reply, error=MalformedJudgmentError)
    winner = data.get("winner")
    if winner not in ("left", "right", "tie"):
        raise MalformedJudgmentError(
            f'the model\'s winner is {json.dumps(winner)[:40]}, not "left", "right" or "tie": {replies.shown(reply)}'
        )
    left, right = _slugs(data, "patterns_left", reply), _slugs(data, "patterns_right", reply)
    reason = replies.reason(data, reply, limit=MAX_REASON, error=MalformedJudgmentError)
    dropped = sum(1 for slug in left + right if slug not in known)
    return ParsedJudgment(
        winner=winner, patterns_left=sorted({s for s in left if s in known}),
        patterns_right=sorted({s for s in right if s in known}), dropped=dropped, reason=reason,
    )  # fmt: skip


def ask_judge(
    *, config: ProviderConfig, rubric: JudgeRubric, call: JudgeCall, rng: random.Random
) -> tuple[int, ParsedJudgment]:
    """(the candidate sent on the left, the parsed reply). Raises SuggestionProviderError or
    MalformedJudgmentError; holds no transaction while the provider answers."""
    a, b = call.comparison.candidate_a_id, call.comparison.candidate_b_id
    left, right = (a, b) if rng.random() < 0.5 else (b, a)
    messages = judge_messages(rubric=rubric.text, call=call, left_candidate_id=left, right_candidate_id=right)
    reply = complete(config=config, messages=messages, max_tokens=MAX_REPLY_TOKENS)
    return left, parse_judgment(reply, known={slug for slug, _ in call.patterns})


def store_judgment(
    session: Session, *, rubric: JudgeRubric, call: JudgeCall, left_candidate_id: int, parsed: ParsedJudgment,
    model: str, job_id: int | None,
) -> JudgeJudgment:  # fmt: skip
    """The verdict translated from sides to candidates, like a reviewer's."""
    comparison = call.comparison
    right = (
        comparison.candidate_b_id
        if left_candidate_id == comparison.candidate_a_id
        else comparison.candidate_a_id
    )
    winner = {"left": left_candidate_id, "right": right, "tie": None}[parsed.winner]
    a_is_left = left_candidate_id == comparison.candidate_a_id
    judgment = JudgeJudgment(
        evaluation_id=comparison.evaluation_id, comparison_id=comparison.id or 0, rubric_id=rubric.id or 0,
        rubric_version=rubric.version, rubric_sha256=rubric.sha256, left_candidate_id=left_candidate_id,
        winner_candidate_id=winner,
        patterns_a=parsed.patterns_left if a_is_left else parsed.patterns_right,
        patterns_b=parsed.patterns_right if a_is_left else parsed.patterns_left,
        dropped_patterns=parsed.dropped, reason=parsed.reason, model=model[:200], job_id=job_id,
    )  # fmt: skip
    session.add(judgment)
    session.flush()
    return judgment


def record_failure(
    session: Session, *, rubric: JudgeRubric, comparison_id: int, kind: str, message: str, job_id: int | None
) -> None:
    session.add(
        JudgeFailure(
            evaluation_id=rubric.evaluation_id, comparison_id=comparison_id, rubric_id=rubric.id or 0,
            kind=kind, message=message[:MAX_MESSAGE], job_id=job_id,
        )
    )  # fmt: skip
    session.flush()


def get_rubric(session: Session, *, rubric_id: int) -> JudgeRubric:
    rubric = session.get(JudgeRubric, rubric_id)
    if rubric is None:
        raise NotFoundError(f"judge rubric {rubric_id} does not exist")
    return rubric
