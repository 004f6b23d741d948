"""`--model run:ID` trains on top of a finished run: the provider's model id for remote runs, the saved folder for
TRL runs; unfinished runs and other backends are refused in words."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from app.config import get_settings
from app.db import session_scope
from app.errors import ValidationFailedError
from app.training.models import RunStatus, TrainingRun
from tests.training.conftest import launch, load_run, make_release


@pytest.fixture(autouse=True)
def _provider_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A launch needs a key (issue 11); these runs never reach a provider."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-chaining-test-key")


def finished(
    engine: Engine, release_id: int, *, backend: str, status: RunStatus = RunStatus.succeeded
) -> int:
    with session_scope(engine) as session:
        run = TrainingRun(
            release_id=release_id, backend=backend, base_model="base", method="supervised", status=status,
            fine_tuned_model="ft:base:org::sft1" if backend == "openai" and status == "succeeded" else None,
            model_path="rel/runs/9/model" if backend == "trl" and status == "succeeded" else None,
        )  # fmt: skip
        session.add(run)
        session.flush()
        return run.id or 0


def test_a_remote_run_resolves_to_its_fine_tuned_model(training_engine: Engine) -> None:
    sft_release = make_release(training_engine, kind="sft")
    parent = finished(training_engine, sft_release, backend="openai")
    dpo_release = make_release(training_engine, kind="dpo")
    run_id, _ = launch(training_engine, dpo_release, base_model=f"run:{parent}")
    run = load_run(training_engine, run_id)
    assert run.base_model == "ft:base:org::sft1"
    assert run.options["parent_run_id"] == parent


def test_a_trl_run_resolves_to_its_saved_folder(training_engine: Engine) -> None:
    sft_release = make_release(training_engine, kind="sft", format="trl")
    parent = finished(training_engine, sft_release, backend="trl")
    dpo_release = make_release(training_engine, kind="dpo", format="trl")
    run_id, _ = launch(training_engine, dpo_release, backend="trl", base_model=f"run:{parent}")
    assert load_run(training_engine, run_id).base_model == str(get_settings().data_dir / "rel/runs/9/model")


@pytest.mark.parametrize(
    ("status", "backend", "model", "message"),
    [
        (RunStatus.running, "openai", None, "only a succeeded run"),
        (RunStatus.succeeded, "trl", None, "trains on trl too"),
        (RunStatus.succeeded, "openai", "run:999999", "does not exist"),
        (RunStatus.succeeded, "openai", "run:x", "must be a number"),
    ],
)
def test_unusable_runs_are_refused(
    training_engine: Engine, status: RunStatus, backend: str, model: str | None, message: str
) -> None:
    release = make_release(training_engine, kind="sft")
    parent = finished(training_engine, release, backend=backend, status=status)
    with pytest.raises(ValidationFailedError, match=message):
        launch(training_engine, release, base_model=model or f"run:{parent}")
