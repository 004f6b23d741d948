"""Prompt sets from a release, candidates checked at creation, and the generation job against the stand-in
OpenAI-compatible server: bounded concurrency, retries with backoff, resuming without asking twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from app.db import session_scope
from app.errors import ValidationFailedError
from app.evaluation.models import Comparison, EvalAnswer, EvalStatus, Evaluation
from app.evaluation.service import GenerationSettings
from app.jobs.models import Job, JobStatus
from app.jobs.service import mark_stale_jobs_failed, retry_job
from app.models_base import utcnow
from app.releases.export.options import ExportOptions
from app.releases.export.split import VALIDATION, prompt_group, splitter
from app.releases.models import DatasetRelease
from tests.evaluation.conftest import TAGS, new_evaluation, prompts_of, tagged_release
from tests.training.conftest import execute
from tests.training.fake_openai import FakeOpenAI

BASE = "openai:gpt-4.1-mini-2025-04-14"
OTHER = "openai:other-model"


def answers(engine: Engine, evaluation_id: int) -> list[EvalAnswer]:
    with session_scope(engine, read_only=True) as session:
        query = select(EvalAnswer).where(col(EvalAnswer.evaluation_id) == evaluation_id)
        return list(session.execute(query).scalars())


def test_prompt_set_is_the_validation_split_with_the_chosen_answers_tags(training_engine: Engine) -> None:
    release_id = tagged_release(training_engine, rows=16)
    evaluation_id, _ = new_evaluation(training_engine, release_id, {"base": BASE, "other": OTHER})
    prompts = prompts_of(training_engine, evaluation_id)
    with session_scope(training_engine, read_only=True) as session:
        release = session.get(DatasetRelease, release_id)
        assert release is not None
        spec = ExportOptions.of_release(release)
    assign = splitter(fraction=spec.split, seed=spec.seed)
    assert prompts, "the validation split of 16 pairs at 0.5 is not empty"
    assert all(assign(prompt_group(p.messages)) == VALIDATION for p in prompts)
    assert len(prompts) == release.counts["validation"]
    for p in prompts:
        # add_many numbers questions 0..n-1; the tags follow from the question's number.
        number = int(p.messages[-1]["content"].split(":")[0].removeprefix("Question "))
        assert p.expected_patterns == sorted(TAGS[number % len(TAGS)])


def test_whole_release_and_limit_with_seed(training_engine: Engine) -> None:
    release_id = tagged_release(training_engine, rows=12)
    everything, _ = new_evaluation(training_engine, release_id, {"a": BASE, "b": OTHER}, split="all")
    assert len(prompts_of(training_engine, everything)) == 12
    first, _ = new_evaluation(
        training_engine, release_id, {"a": BASE, "b": OTHER}, split="all", limit=5, seed=7
    )
    again, _ = new_evaluation(
        training_engine, release_id, {"a": BASE, "b": OTHER}, split="all", limit=5, seed=7
    )
    other, _ = new_evaluation(
        training_engine, release_id, {"a": BASE, "b": OTHER}, split="all", limit=5, seed=8
    )
    texts = [[p.messages for p in prompts_of(training_engine, e)] for e in (first, again, other)]
    assert len(texts[0]) == 5
    assert texts[0] == texts[1]
    assert texts[0] != texts[2]


@pytest.mark.parametrize(
    ("candidates", "kw", "message"),
    [
        ({"a": BASE}, {}, "2 to 8 candidates"),
        ({"a": BASE, "b": "gpt:x"}, {}, "write openai:MODEL"),
        ({"a": BASE, "b": "run:99"}, {}, "training run 99 does not exist"),
        ({"a": BASE, "b": "hf:relative/folder"}, {}, "absolute path"),
        ({"a": BASE, "b a": OTHER}, {}, "candidate label"),
        ({"a": BASE, "b": OTHER}, {"baseline": "c"}, "baseline 'c' is not one of"),
        ({"a": BASE, "b": OTHER}, {"compare": "some"}, "choose all or baseline"),
        ({"a": BASE, "b": OTHER}, {"settings": GenerationSettings(temperature=3)}, "temperature"),
    ],
)
def test_bad_evaluations_are_refused_in_words(
    training_engine: Engine, candidates: dict[str, str], kw: dict[str, object], message: str
) -> None:
    release_id = tagged_release(training_engine, rows=8)
    with pytest.raises(ValidationFailedError, match=message):
        new_evaluation(training_engine, release_id, candidates, **kw)


def test_release_without_validation_split_needs_split_all(training_engine: Engine) -> None:
    release_id = tagged_release(training_engine, rows=6, split=0.0)
    with pytest.raises(ValidationFailedError, match="no validation split"):
        new_evaluation(training_engine, release_id, {"a": BASE, "b": OTHER})


def test_generation_stores_every_answer_and_opens_comparisons(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    release_id = tagged_release(training_engine, rows=12)
    settings = GenerationSettings(temperature=0.3, max_tokens=64, seed=5, concurrency=2, backoff_seconds=0.01)
    evaluation_id, job_id = new_evaluation(
        training_engine, release_id, {"base": BASE, "b": OTHER, "c": "openai:third"}, compare="baseline",
        settings=settings,
    )  # fmt: skip
    job = execute(training_engine, job_id)
    assert job.status == "succeeded", job.error
    prompts = prompts_of(training_engine, evaluation_id)
    stored = answers(training_engine, evaluation_id)
    assert len(stored) == 3 * len(prompts) == job.progress == job.total
    calls = openai_env.calls("POST", "/v1/chat/completions")
    assert len(calls) == 3 * len(prompts)
    assert {c.body["model"] for c in calls} == {"gpt-4.1-mini-2025-04-14", "other-model", "third"}
    assert all(
        c.body["temperature"] == 0.3 and c.body["max_tokens"] == 64 and c.body["seed"] == 5 for c in calls
    )
    assert all(c.authorization == f"Bearer {openai_env.api_key}" for c in calls)
    by_prompt = {p.id: p.messages for p in prompts}
    for answer in stored:
        assert answer.text.endswith(by_prompt[answer.prompt_id][-1]["content"])
    with session_scope(training_engine, read_only=True) as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation is not None
        assert evaluation.status == "ready"
        # Each against the baseline: base-b and base-c per prompt, never b-c.
        n = session.execute(
            select(func.count()).select_from(Comparison).where(col(Comparison.evaluation_id) == evaluation_id)
        ).scalar_one()
    assert n == 2 * len(prompts)


def test_rate_limits_and_server_errors_are_retried(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release_id = tagged_release(training_engine, rows=8)
    openai_env.fail("POST", "/v1/chat/completions", 429, times=2, headers={"Retry-After": "0"})
    openai_env.fail("POST", "/v1/chat/completions", 503, times=1)
    evaluation_id, job_id = new_evaluation(training_engine, release_id, {"a": BASE, "b": OTHER})
    job = execute(training_engine, job_id)
    assert job.status == "succeeded", job.error
    prompts = prompts_of(training_engine, evaluation_id)
    assert len(answers(training_engine, evaluation_id)) == 2 * len(prompts)
    assert len(openai_env.calls("POST", "/v1/chat/completions")) == 2 * len(prompts) + 3


def test_a_failed_job_resumes_without_asking_twice(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release_id = tagged_release(training_engine, rows=12)
    settings = GenerationSettings(retries=0, concurrency=1, backoff_seconds=0.01)
    evaluation_id, job_id = new_evaluation(
        training_engine, release_id, {"a": BASE, "b": OTHER}, settings=settings
    )
    prompts = prompts_of(training_engine, evaluation_id)
    openai_env.fail("POST", "/v1/chat/completions", 500, times=2)
    job = execute(training_engine, job_id)
    assert job.status == "failed"
    assert "2 of" in (job.error or "")
    assert "retry the job" in (job.error or "")
    assert len(answers(training_engine, evaluation_id)) == 2 * len(prompts) - 2
    first_round = len(openai_env.calls("POST", "/v1/chat/completions"))
    with session_scope(training_engine) as session:
        retry_job(session, job_id=job_id)
    job = execute(training_engine, job_id)
    assert job.status == "succeeded", job.error
    # Only the two missing answers were asked for again.
    assert len(openai_env.calls("POST", "/v1/chat/completions")) == first_round + 2
    stored = answers(training_engine, evaluation_id)
    assert len(stored) == 2 * len(prompts)
    assert len({(a.prompt_id, a.candidate_id) for a in stored}) == len(stored)


def test_a_dead_workers_evaluation_is_failed_and_a_retry_resumes_it(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    release_id = tagged_release(training_engine, rows=8)
    evaluation_id, job_id = new_evaluation(training_engine, release_id, {"a": BASE, "b": OTHER})
    long_ago = utcnow() - timedelta(hours=1)
    with session_scope(training_engine) as session:
        job = session.get(Job, job_id)
        evaluation = session.get(Evaluation, evaluation_id)
        assert job is not None
        assert evaluation is not None
        job.status, job.heartbeat_at = JobStatus.running, long_ago
        evaluation.status = EvalStatus.generating
    assert mark_stale_jobs_failed(training_engine) == 1
    with session_scope(training_engine, read_only=True) as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation is not None
        assert (evaluation.status, evaluation.error) == (
            EvalStatus.failed, "interrupted: the worker stopped; retry the job to resume",
        )  # fmt: skip
    with session_scope(training_engine) as session:
        retry_job(session, job_id=job_id)
    assert execute(training_engine, job_id).status == JobStatus.succeeded
    with session_scope(training_engine, read_only=True) as session:
        evaluation = session.get(Evaluation, evaluation_id)
        assert evaluation is not None
        assert evaluation.status == EvalStatus.ready


def test_a_given_base_url_and_key_are_used_and_never_stored_plain(
    training_engine: Engine, fake_openai: FakeOpenAI
) -> None:
    from app.evaluation.models import EvalCandidate
    from app.evaluation.service import CandidateIn, EvaluationIn, create_evaluation

    release_id = tagged_release(training_engine, rows=8)
    data = EvaluationIn(
        name="custom endpoint", release_id=release_id,
        candidates=[
            CandidateIn(label="a", spec=BASE, base_url=fake_openai.base_url, api_key=fake_openai.api_key),
            CandidateIn(label="b", spec=OTHER, base_url=fake_openai.base_url, api_key=fake_openai.api_key),
        ],
        settings=GenerationSettings(backoff_seconds=0.01),
    )  # fmt: skip
    with session_scope(training_engine) as session:
        evaluation, job = create_evaluation(session, data=data)
        job_id, evaluation_id = job.id or 0, evaluation.id or 0
    with session_scope(training_engine, read_only=True) as session:
        stored = list(
            session.execute(
                select(EvalCandidate).where(col(EvalCandidate.evaluation_id) == evaluation_id)
            ).scalars()
        )
    assert all(c.api_key and fake_openai.api_key not in c.api_key for c in stored)
    assert {c.key_last4 for c in stored} == {fake_openai.api_key[-4:]}
    assert execute(training_engine, job_id).status == "succeeded"
