"""A TRL run's saved model (a tiny random Llama built offline, as tests/training does) and an hf: folder answer
an evaluation's prompts on CPU through the worker subprocess; nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.config import get_settings
from app.db import session_scope
from app.evaluation.models import EvalAnswer, Evaluation
from app.evaluation.service import GenerationSettings
from app.releases.models import DatasetRelease
from app.training.models import RunStatus, TrainingRun
from tests.evaluation.conftest import new_evaluation, prompts_of, tagged_release
from tests.training.conftest import execute
from tests.training.tiny_model import build_tiny_model

pytest.importorskip("transformers", reason="the training extra (pairwise[train]) is not installed")
pytestmark = pytest.mark.slow


def saved_trl_run(engine: Engine, release_id: int) -> int:
    """A succeeded TRL run whose saved folder (relative to the data folder, as the backend stores it) holds a
    tiny model with a tokenizer trained on the release's text."""
    with session_scope(engine, read_only=True) as session:
        release = session.get(DatasetRelease, release_id)
        assert release is not None
        assert release.directory
        folder = get_settings().data_dir / release.directory
    relative = f"{release.directory}/runs/1/model"
    build_tiny_model(get_settings().data_dir / relative, sorted(folder.glob("*.jsonl")))
    with session_scope(engine) as session:
        run = TrainingRun(
            release_id=release_id, backend="trl", base_model="/models/base", method="supervised",
            status=RunStatus.succeeded, model_path=relative,
        )  # fmt: skip
        session.add(run)
        session.flush()
        return run.id or 0


def test_a_trl_run_and_an_hf_folder_generate_on_cpu(training_engine: Engine, tmp_path: Path) -> None:
    release_id = tagged_release(training_engine, rows=8)
    run_id = saved_trl_run(training_engine, release_id)
    with session_scope(training_engine, read_only=True) as session:
        run = session.get(TrainingRun, run_id)
        assert run is not None
        folder = get_settings().data_dir / (run.model_path or "")
    settings = GenerationSettings(max_tokens=8, seed=1, device="cpu")
    evaluation_id, job_id = new_evaluation(
        training_engine, release_id, {"trl": f"run:{run_id}", "folder": f"hf:{folder}"}, settings=settings
    )
    job = execute(training_engine, job_id)
    assert job.status == "succeeded", job.error
    prompts = prompts_of(training_engine, evaluation_id)
    with session_scope(training_engine, read_only=True) as session:
        answers = list(
            session.execute(
                select(EvalAnswer).where(col(EvalAnswer.evaluation_id) == evaluation_id)
            ).scalars()
        )
        evaluation = session.get(Evaluation, evaluation_id)
    assert evaluation is not None
    assert evaluation.status == "ready"
    assert len(answers) == 2 * len(prompts)
    assert all(a.finish_reason in ("stop", "length") for a in answers)
    # Greedy decoding of the same weights: both candidates give the same text for each prompt.
    by_prompt: dict[int, set[str]] = {}
    for a in answers:
        by_prompt.setdefault(a.prompt_id, set()).add(a.text)
    assert all(len(texts) == 1 for texts in by_prompt.values())


def test_a_missing_model_folder_fails_the_job_in_words(training_engine: Engine, tmp_path: Path) -> None:
    release_id = tagged_release(training_engine, rows=8)
    run_id = saved_trl_run(training_engine, release_id)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    evaluation_id, job_id = new_evaluation(
        training_engine, release_id, {"trl": f"run:{run_id}", "broken": f"hf:{folder}"},
        settings=GenerationSettings(max_tokens=4, device="cpu"),
    )  # fmt: skip
    job = execute(training_engine, job_id)
    assert job.status == "failed"
    assert "candidate broken" in (job.error or "")
    with session_scope(training_engine, read_only=True) as session:
        evaluation = session.get(Evaluation, evaluation_id)
    assert evaluation is not None
    assert evaluation.status == "failed"
