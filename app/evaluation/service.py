"""Evaluations: validate and create (rows first, then the generation job), open comparisons, read.

Keyword-only functions that flush but never commit; the caller commits, then enqueues the returned job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.errors import NotFoundError, ValidationFailedError
from app.evaluation.candidates import check_label, check_spec
from app.evaluation.models import Comparison, EvalAnswer, EvalCandidate, EvalPrompt, EvalStatus, Evaluation
from app.evaluation.prompts import select_prompts
from app.jobs.models import Job
from app.jobs.service import create_job
from app.releases.models import DatasetRelease, ReleaseStatus
from app.settings.service import audit
from app.training.provider import clean_base_url
from app.training.secrets import encrypt, last4

COMPARE = ("all", "baseline")
MAX_CANDIDATES = 8


@dataclass(slots=True)
class CandidateIn:
    label: str
    spec: str
    base_url: str | None = None
    api_key: str | None = None


@dataclass(slots=True)
class GenerationSettings:
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int | None = 0
    concurrency: int = 4
    retries: int = 4
    backoff_seconds: float = 1.0
    device: str = "auto"  # local models: auto (GPU when there is one), cpu, cuda

    def check(self) -> dict[str, Any]:
        if not 0.0 <= self.temperature <= 2.0:
            raise ValidationFailedError("temperature must be between 0 and 2")
        if not 1 <= self.max_tokens <= 32768:
            raise ValidationFailedError("max tokens must be between 1 and 32768")
        if not 1 <= self.concurrency <= 32:
            raise ValidationFailedError("concurrency must be between 1 and 32")
        if not 0 <= self.retries <= 10 or not 0 <= self.backoff_seconds <= 60:
            raise ValidationFailedError("retries must be 0-10 and the backoff 0-60 seconds")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValidationFailedError("device must be auto, cpu or cuda")
        return {
            "temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed,
            "concurrency": self.concurrency, "retries": self.retries, "backoff_seconds": self.backoff_seconds,
            "device": self.device,
        }  # fmt: skip


@dataclass(slots=True)
class EvaluationIn:
    name: str
    release_id: int
    candidates: list[CandidateIn]
    split: str = "validation"
    limit: int | None = None
    seed: int = 0
    baseline: str | None = None
    subject: str | None = None
    compare: str = "all"
    overlap: int = 1
    settings: GenerationSettings = field(default_factory=GenerationSettings)


def parse_candidate_args(items: list[str]) -> list[CandidateIn]:
    """CLI `--candidate LABEL=SPEC` items."""
    out = []
    for item in items:
        label, sep, spec = item.partition("=")
        if not sep:
            raise ValidationFailedError(f"--candidate takes LABEL=SPEC, not {item!r}")
        out.append(CandidateIn(label=label, spec=spec))
    return out


def _candidates(session: Session, items: list[CandidateIn]) -> list[CandidateIn]:
    if not 2 <= len(items) <= MAX_CANDIDATES:
        raise ValidationFailedError(f"an evaluation needs 2 to {MAX_CANDIDATES} candidates, not {len(items)}")
    seen: set[str] = set()
    clean = []
    for item in items:
        label = check_label(item.label)
        if label in seen:
            raise ValidationFailedError(f"candidate label {label!r} is used twice")
        seen.add(label)
        spec = check_spec(session, item.spec)
        base_url = clean_base_url(item.base_url) if item.base_url else None
        if (base_url or item.api_key) and not spec.startswith("openai:"):
            raise ValidationFailedError(
                f"candidate {label}: a base URL and key apply only to openai: candidates"
            )
        if item.api_key and not base_url:
            raise ValidationFailedError(f"candidate {label}: a key is only sent to a base URL given with it")
        clean.append(
            CandidateIn(
                label=label, spec=spec, base_url=base_url, api_key=(item.api_key or "").strip() or None
            )
        )
    return clean


def create_evaluation(
    session: Session, *, data: EvaluationIn, user_id: int | None = None
) -> tuple[Evaluation, Job]:
    """The evaluation, its candidates and prompts, and its queued "evaluate" job (flushed, not committed)."""
    name = " ".join(data.name.split())
    if not name or len(name) > 200:
        raise ValidationFailedError("give the evaluation a name of at most 200 characters")
    release = session.get(DatasetRelease, data.release_id)
    if release is None:
        raise NotFoundError(f"release {data.release_id} does not exist")
    if release.status != ReleaseStatus.ready:
        raise ValidationFailedError(
            f"release {release.id} is {release.status}; only ready releases can be evaluated"
        )
    if data.compare not in COMPARE:
        raise ValidationFailedError(f"unknown comparison plan {data.compare!r}; choose all or baseline")
    if not 1 <= data.overlap <= 10:
        raise ValidationFailedError("overlap (judgments per comparison) must be between 1 and 10")
    candidates = _candidates(session, data.candidates)
    labels = [c.label for c in candidates]
    # The first candidate is the baseline unless another is named; the subject is the first other one.
    baseline = data.baseline or labels[0]
    if baseline not in labels:
        raise ValidationFailedError(
            f"the baseline {baseline!r} is not one of the candidates ({', '.join(labels)})"
        )
    subject = data.subject or next((label for label in labels if label != baseline), None)
    if subject not in labels:
        raise ValidationFailedError(
            f"the subject {subject!r} is not one of the candidates ({', '.join(labels)})"
        )
    settings = data.settings.check()
    options = release.options
    settings.update(system_policy=options.get("system_policy"), system_prompt=options.get("system_prompt"))
    prompts = select_prompts(session, release=release, split=data.split, limit=data.limit, seed=data.seed)
    evaluation = Evaluation(
        name=name, release_id=release.id or 0, split=data.split, limit=data.limit, seed=data.seed,
        settings=settings, compare=data.compare, baseline=baseline, subject=subject, overlap=data.overlap,
        created_by_id=user_id,
    )  # fmt: skip
    session.add(evaluation)
    session.flush()
    eid = evaluation.id or 0
    for position, c in enumerate(candidates):
        session.add(
            EvalCandidate(
                evaluation_id=eid, label=c.label, spec=c.spec, position=position, base_url=c.base_url,
                api_key=encrypt(c.api_key) if c.api_key else None,
                key_last4=last4(c.api_key) if c.api_key else None,
            )
        )  # fmt: skip
    for position, p in enumerate(prompts):
        session.add(
            EvalPrompt(
                evaluation_id=eid, position=position, pair_id=p.pair_id, messages=p.messages,
                expected_patterns=p.expected_patterns,
            )
        )  # fmt: skip
    job = create_job(session, kind="evaluate", payload={"evaluation_id": eid}, user_id=user_id)
    evaluation.job_id = job.id
    session.add(evaluation)
    audit(
        session, user_id=user_id, action="evaluation.created", object_type="evaluation", object_id=eid,
        release_id=release.id, candidates={c.label: c.spec for c in candidates},
    )  # fmt: skip
    session.flush()
    return evaluation, job


def get_evaluation(session: Session, *, evaluation_id: int) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFoundError(f"evaluation {evaluation_id} does not exist")
    return evaluation


def list_evaluations(session: Session, *, limit: int = 200, status: str | None = None) -> list[Evaluation]:
    query = select(Evaluation).order_by(col(Evaluation.id).desc()).limit(limit)
    if status is not None:
        query = query.where(col(Evaluation.status) == status)
    return list(session.execute(query).scalars())


def candidates_of(session: Session, *, evaluation_id: int) -> list[EvalCandidate]:
    query = (
        select(EvalCandidate)
        .where(col(EvalCandidate.evaluation_id) == evaluation_id)
        .order_by(col(EvalCandidate.position))
    )
    return list(session.execute(query).scalars())


def prompts_of(session: Session, *, evaluation_id: int) -> list[EvalPrompt]:
    query = (
        select(EvalPrompt)
        .where(col(EvalPrompt.evaluation_id) == evaluation_id)
        .order_by(col(EvalPrompt.position))
    )
    return list(session.execute(query).scalars())


def answer_counts(session: Session, *, evaluation_id: int) -> dict[int, int]:
    """Stored answers per candidate id."""
    query = (
        select(col(EvalAnswer.candidate_id), func.count())
        .where(col(EvalAnswer.evaluation_id) == evaluation_id)
        .group_by(col(EvalAnswer.candidate_id))
    )
    return {int(cid): int(n) for cid, n in session.execute(query)}


def candidate_pairs(
    evaluation: Evaluation, candidates: list[EvalCandidate]
) -> list[tuple[EvalCandidate, EvalCandidate]]:
    """Which candidates meet: every pair, or each against the baseline (in candidate order)."""
    if evaluation.compare == "baseline" and evaluation.baseline:
        base = next(c for c in candidates if c.label == evaluation.baseline)
        return [(base, c) if base.position < c.position else (c, base) for c in candidates if c.id != base.id]
    return list(combinations(candidates, 2))


def open_comparisons(session: Session, *, evaluation_id: int) -> int:
    """One comparison per prompt and candidate pair whose answers both exist; returns how many are new."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    candidates = candidates_of(session, evaluation_id=evaluation_id)
    answered: set[tuple[int, int]] = {
        (int(p), int(c))
        for p, c in session.execute(
            select(col(EvalAnswer.prompt_id), col(EvalAnswer.candidate_id)).where(
                col(EvalAnswer.evaluation_id) == evaluation_id
            )
        )
    }
    existing: set[tuple[int, int, int]] = {
        (int(p), int(a), int(b))
        for p, a, b in session.execute(
            select(
                col(Comparison.prompt_id), col(Comparison.candidate_a_id), col(Comparison.candidate_b_id)
            ).where(col(Comparison.evaluation_id) == evaluation_id)
        )
    }
    added = 0
    for prompt in prompts_of(session, evaluation_id=evaluation_id):
        for a, b in candidate_pairs(evaluation, candidates):
            pid, aid, bid = prompt.id or 0, a.id or 0, b.id or 0
            if (pid, aid) in answered and (pid, bid) in answered and (pid, aid, bid) not in existing:
                session.add(
                    Comparison(
                        evaluation_id=evaluation_id, prompt_id=pid, candidate_a_id=aid, candidate_b_id=bid
                    )
                )
                added += 1
    session.flush()
    return added


def set_status(session: Session, *, evaluation_id: int, status: EvalStatus, error: str | None = None) -> None:
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    evaluation.status, evaluation.error = status, error
    session.add(evaluation)
    session.flush()
