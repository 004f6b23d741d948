"""Fixtures for evaluation tests: a release whose pairs carry reviewers' pattern tags, the stand-in OpenAI
server (fine-tuning and chat completions), and helpers that create evaluations and run their jobs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from app.config import get_settings
from app.db import session_scope
from app.evaluation import jobs as _handlers  # noqa: F401  (registers the "evaluate" handler)
from app.evaluation.models import EvalPrompt
from app.evaluation.service import CandidateIn, EvaluationIn, GenerationSettings, create_evaluation
from app.patterns.service import seed_defaults
from app.releases.service import build_release
from tests.browser.conftest import chromium, watched  # noqa: F401  (the full loop drives Chromium)
from tests.releases.factories import add_judgment, add_many, add_user
from tests.training.conftest import fake_openai, openai_env, training_engine  # noqa: F401
from tests.web_helpers import fast_passwords  # noqa: F401

# Pair i's chosen answer is tagged with these patterns by a reviewer; every fourth pair has none.
TAGS: tuple[list[str], ...] = (["tradeoffs"], ["tradeoffs", "recommendation"], ["testing"], [])


def tagged_release(
    engine: Engine, *, rows: int = 12, split: float = 0.5, kind: str = "sft", seed: int = 1
) -> int:
    """A ready release of `rows` accepted pairs, reviewers' tags on their chosen answers (see TAGS)."""
    with session_scope(engine) as session:
        seed_defaults(session)
    with session_scope(engine) as session:
        seeded = add_many(session, rows)
        reviewer = add_user(session)
        for i, item in enumerate(seeded):
            add_judgment(session, pair=item.pair, reviewer=reviewer, patterns_second=TAGS[i % len(TAGS)])
    with session_scope(engine) as session:
        release = build_release(
            session, name=f"{kind} release", kind=kind, format="openai", data_dir=get_settings().data_dir,
            split=split, seed=seed,
        )  # fmt: skip
        assert release.status == "ready", release.error
        return release.id or 0


def new_evaluation(engine: Engine, release_id: int, candidates: dict[str, str], **kw: Any) -> tuple[int, int]:
    """Create an evaluation the way the CLI and form do; returns (evaluation id, job id)."""
    settings = kw.pop("settings", None) or GenerationSettings(backoff_seconds=0.01)
    data = EvaluationIn(
        name=kw.pop("name", "eval"), release_id=release_id,
        candidates=[CandidateIn(label=k, spec=v) for k, v in candidates.items()], settings=settings, **kw,
    )  # fmt: skip
    with session_scope(engine) as session:
        evaluation, job = create_evaluation(session, data=data)
        return evaluation.id or 0, job.id or 0


def prompts_of(engine: Engine, evaluation_id: int) -> list[EvalPrompt]:
    with session_scope(engine, read_only=True) as session:
        query = (
            select(EvalPrompt)
            .where(col(EvalPrompt.evaluation_id) == evaluation_id)
            .order_by(col(EvalPrompt.position))
        )
        return list(session.execute(query).scalars())


def ready_evaluation(engine: Engine, *, rows: int = 12, **kw: Any) -> int:
    """An evaluation of two openai: candidates whose answers the stand-in server generated (needs openai_env)."""
    from tests.training.conftest import execute

    release_id = tagged_release(engine, rows=rows)
    evaluation_id, job_id = new_evaluation(
        engine, release_id, {"base": "openai:base-model", "sft": "openai:ft:base-model:sft"}, **kw
    )
    job = execute(engine, job_id)
    assert job.status == "succeeded", job.error
    return evaluation_id
