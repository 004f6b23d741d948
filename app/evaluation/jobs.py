"""Job handlers "evaluate" (generate the missing answers of every candidate, then open the comparisons) and
"judge_evaluation" (the optional model judge, app/evaluation/judge.py)."""

from __future__ import annotations

import logging
import random
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.assist.client import SuggestionProviderError
from app.assist.provider import provider_config
from app.db import session_scope
from app.errors import PairwiseError
from app.evaluation.candidates import resolve
from app.evaluation.generation import Answer, Ask, generate_local, generate_remote
from app.evaluation.judge import (
    DEFAULT_LIMIT,
    JOB_KIND,
    MalformedJudgmentError,
    ask_judge,
    comparisons_to_judge,
    get_rubric,
    read_call,
    record_failure,
    store_judgment,
)
from app.evaluation.models import EvalAnswer, EvalStatus, Evaluation
from app.evaluation.service import candidates_of, get_evaluation, open_comparisons, prompts_of, set_status
from app.jobs.models import Job
from app.jobs.runner import JobCancelled, JobContext, handler, on_stale

log = logging.getLogger(__name__)


@handler("evaluate")
def evaluate_job(ctx: JobContext) -> dict[str, Any]:
    """Payload: evaluation_id. Resumable: answers already stored are never asked for again."""
    evaluation_id = int(ctx.payload["evaluation_id"])
    with session_scope(ctx.engine) as session:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
        settings = dict(evaluation.settings)
        set_status(session, evaluation_id=evaluation_id, status=EvalStatus.generating)
        candidates = candidates_of(session, evaluation_id=evaluation_id)
        prompts = [(p.id or 0, p.messages) for p in prompts_of(session, evaluation_id=evaluation_id)]
        have = {
            (int(p), int(c))
            for p, c in session.execute(
                select(col(EvalAnswer.prompt_id), col(EvalAnswer.candidate_id)).where(
                    col(EvalAnswer.evaluation_id) == evaluation_id
                )
            )
        }
    total = len(prompts) * len(candidates)
    done = len(have)
    ctx.progress(done, total, message=f"{done} of {total} answers stored")
    errors: list[str] = []
    try:
        for candidate in candidates:
            cid = candidate.id or 0
            asks = [Ask(prompt_id=pid, messages=m) for pid, m in prompts if (pid, cid) not in have]
            if not asks:
                continue
            with session_scope(ctx.engine, read_only=True) as session:
                target = resolve(session, candidate)

            def store(answer: Answer, cid: int = cid) -> None:
                nonlocal done
                try:
                    with session_scope(ctx.engine) as session:
                        session.add(
                            EvalAnswer(
                                evaluation_id=evaluation_id, prompt_id=answer.prompt_id, candidate_id=cid,
                                text=answer.text, finish_reason=(answer.finish_reason or None),
                            )
                        )  # fmt: skip
                except IntegrityError:
                    return  # another worker stored it first: keep theirs
                done += 1

            def tick(label: str = candidate.label) -> None:
                ctx.progress(done, total, message=f"{done} of {total} answers stored (generating {label})")

            generate = generate_remote if target.remote else generate_local
            try:
                generate(target, asks, settings, store=store, tick=tick)
            except JobCancelled:
                raise
            except PairwiseError as exc:
                errors.append(str(exc))
    except JobCancelled:
        with session_scope(ctx.engine) as session:
            set_status(session, evaluation_id=evaluation_id, status=EvalStatus.failed, error="cancelled")
        raise
    with session_scope(ctx.engine) as session:
        opened = open_comparisons(session, evaluation_id=evaluation_id)
        if errors:
            set_status(
                session, evaluation_id=evaluation_id, status=EvalStatus.failed, error="; ".join(errors)[:4000]
            )
        else:
            set_status(session, evaluation_id=evaluation_id, status=EvalStatus.ready)
    if errors:
        raise PairwiseError("; ".join(errors)[:4000])
    return {"evaluation_id": evaluation_id, "answers": done, "comparisons_opened": opened}


@on_stale("evaluate")
def fail_interrupted_evaluation(session: Session, job: Job, now: datetime) -> None:
    """The evaluation of a job whose worker died is failed too, not left generating: the answers stored stay,
    and a retry asks only for the missing ones."""
    evaluation_id = (job.payload or {}).get("evaluation_id")
    if evaluation_id is None:
        return
    session.exec(
        update(Evaluation)
        .where(col(Evaluation.id) == int(evaluation_id), col(Evaluation.status) == EvalStatus.generating)
        .values(status=EvalStatus.failed, error="interrupted: the worker stopped; retry the job to resume")
    )  # fmt: skip


MAX_REPORTED = 50  # failed calls listed one by one in the job's report; all are counted


def side_rng() -> random.Random:
    """Draws which candidate is shown on the left, per call (seeded from the OS; tests replace it)."""
    return random.Random()


@handler(JOB_KIND)
def judge_evaluation_job(ctx: JobContext) -> dict[str, Any]:
    """Payload: evaluation_id, rubric_id, limit. Asks the suggestion provider about up to `limit` comparisons
    not yet judged under that rubric version (a retry or a second run asks only for those). A reply that is
    not the asked-for JSON fails that comparison only (reported in words, no judgment stored); a provider
    error is reported and the job stops, as the suggestion jobs do."""
    evaluation_id, rubric_id = int(ctx.payload["evaluation_id"]), int(ctx.payload["rubric_id"])
    limit = int(ctx.payload.get("limit", DEFAULT_LIMIT))
    with session_scope(ctx.engine, read_only=True) as session:
        config = provider_config(session)
        rubric = get_rubric(session, rubric_id=rubric_id)
        ids = comparisons_to_judge(session, evaluation_id=evaluation_id, rubric_id=rubric_id, limit=limit)
    rng = side_rng()
    result: dict[str, Any] = {
        "evaluation_id": evaluation_id, "rubric_version": rubric.version, "comparisons": len(ids), "judged": 0,
        "failed": 0, "dropped_patterns": 0, "error": None,
    }  # fmt: skip
    failures: list[str] = []
    for done, comparison_id in enumerate(ids):
        ctx.progress(done, len(ids), message=f"judging comparison {comparison_id}")
        with session_scope(ctx.engine, read_only=True) as session:
            call = read_call(session, comparison_id=comparison_id)
        if call is None:
            continue
        try:
            left, parsed = ask_judge(config=config, rubric=rubric, call=call, rng=rng)
        except (MalformedJudgmentError, SuggestionProviderError) as exc:
            kind = "malformed" if isinstance(exc, MalformedJudgmentError) else "provider"
            with session_scope(ctx.engine) as session:
                record_failure(session, rubric=rubric, comparison_id=comparison_id, kind=kind, message=str(exc),
                               job_id=ctx.job_id)  # fmt: skip
            if kind == "provider":
                result |= {"comparisons": done, "error": str(exc)}
                break
            failures.append(f"comparison {comparison_id}: {exc}")
            continue
        try:
            with session_scope(ctx.engine) as session:
                store_judgment(session, rubric=rubric, call=call, left_candidate_id=left, parsed=parsed,
                               model=config.model, job_id=ctx.job_id)  # fmt: skip
        except IntegrityError:
            continue  # another run judged it under this rubric first: keep that one
        result["judged"] += 1
        result["dropped_patterns"] += parsed.dropped
    ctx.progress(len(ids), len(ids), message=f"{result['judged']} comparisons judged")
    result["failed"] = len(failures)
    if failures:
        result["failures"] = failures[:MAX_REPORTED]
    return result
