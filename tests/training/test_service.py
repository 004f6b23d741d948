"""Launch validation: hyperparameters per backend and method, releases, the OpenAI cut-off."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from app.charts import charts_for, line_chart
from app.db import session_scope
from app.errors import NotFoundError, ValidationFailedError
from app.releases.models import DatasetRelease, ReleaseStatus
from app.training.hyperparameters import (
    AUTO,
    OpenAIDpo,
    OpenAISupervised,
    TrlDpo,
    TrlSupervised,
    hyperparameters_for,
    hyperparameters_of,
)
from app.training.models import TrainingRun
from app.training.service import launch_run, parse_param_args
from tests.training.conftest import make_release
from tests.training.fake_openai import FakeOpenAI


def test_openai_hyperparameters() -> None:
    resolved = OpenAIDpo.parse({"n_epochs": "4", "beta": "auto", "batch_size": 8}).to_json()
    assert resolved == {"n_epochs": 4, "batch_size": 8, "learning_rate_multiplier": AUTO, "beta": AUTO}
    assert OpenAISupervised.parse({}).to_json() == {
        "n_epochs": AUTO, "batch_size": AUTO, "learning_rate_multiplier": AUTO,
    }  # fmt: skip
    for raw, message in (
        (
            {"beta": "0.1"},
            "unknown hyperparameter 'beta' for openai; known: batch_size, learning_rate_multiplier, n_epochs",
        ),
        ({"n_epochs": "51"}, "n_epochs must be ≥ 1, ≤ 50, or auto, not 51"),
        ({"n_epochs": "1.5"}, "n_epochs must be a whole number, not '1.5'"),
        ({"batch_size": "0"}, "batch_size must be ≥ 1, ≤ 256, or auto, not 0"),
        ({"learning_rate_multiplier": "0"}, "learning_rate_multiplier must be > 0, ≤ 100, or auto, not 0"),
        ({"learning_rate_multiplier": "nan"}, "learning_rate_multiplier must be a number"),
    ):
        with pytest.raises(ValidationFailedError) as error:
            OpenAISupervised.parse(raw)
        assert str(error.value) == message
    with pytest.raises(ValidationFailedError, match=r"beta must be > 0, ≤ 2, or auto, not 2.5"):
        OpenAIDpo.parse({"beta": "2.5"})


def test_trl_hyperparameters_have_method_defaults() -> None:
    sft = TrlSupervised.parse({"lora": "yes"})
    dpo = TrlDpo.parse({})
    assert sft.learning_rate == 2e-5
    assert sft.lora is True
    assert "beta" not in sft.to_json()
    assert "packing" not in dpo.to_json()
    assert dpo.learning_rate == 1e-6
    assert dpo.beta == 0.1
    assert dpo.lora is False
    assert dpo.max_steps == -1
    with pytest.raises(ValidationFailedError, match="cannot be auto"):
        TrlDpo.parse({"beta": "auto"})
    with pytest.raises(ValidationFailedError, match="lora must be true or false"):
        TrlDpo.parse({"lora": "maybe"})
    with pytest.raises(ValidationFailedError, match="unknown hyperparameter 'packing' for trl"):
        TrlDpo.parse({"packing": "true"})


def test_the_form_is_generated_from_the_model() -> None:
    """Names, labels, help, defaults and bounds come from the one declaration."""
    fields = {f.name: f for f in hyperparameters_for("openai", "dpo").form_fields()}
    assert list(fields) == ["n_epochs", "batch_size", "learning_rate_multiplier", "beta"]
    beta = fields["beta"]
    assert (beta.field, beta.label, beta.default, beta.bounds, beta.is_bool) == (
        "p_beta", "Beta (DPO)", "auto", "> 0, ≤ 2, or auto", False,
    )  # fmt: skip
    lora = {f.name: f for f in TrlSupervised.form_fields()}["lora"]
    assert (lora.is_bool, lora.default, lora.help) == (
        True, False, "Train a LoRA adapter (peft) instead of all weights.",
    )  # fmt: skip
    # An unticked checkbox is false; the other method's fields left in the form are dropped, unknown ones kept
    # for the model to refuse.
    values = TrlSupervised.form_values({"p_beta": "0.2", "p_n_epochs": "2"}, ignore=frozenset({"beta"}))
    assert values["n_epochs"] == "2"
    assert values["lora"] == "false"
    assert "beta" not in values
    assert TrlSupervised.form_values({"p_nope": "1"})["nope"] == "1"
    with pytest.raises(ValidationFailedError, match="no hyperparameters for backend 'azure'"):
        hyperparameters_for("azure", "dpo")


def test_runs_stored_by_earlier_versions_still_load() -> None:
    """A TRL run stored before gradient_checkpointing and packing existed, and an OpenAI run with `auto`."""
    old_trl = {
        "n_epochs": 1, "batch_size": 4, "learning_rate": 2e-05, "max_steps": 5, "max_length": 1024,
        "gradient_accumulation_steps": 1, "warmup_ratio": 0.0, "logging_steps": 10, "lora": True, "lora_r": 16,
        "lora_alpha": 32, "lora_dropout": 0.05,
    }  # fmt: skip
    run = TrainingRun(
        release_id=1, backend="trl", base_model="m", method="supervised", hyperparameters=old_trl
    )
    loaded = hyperparameters_of(run)
    assert isinstance(loaded, TrlSupervised)
    assert (loaded.max_steps, loaded.lora, loaded.packing, loaded.gradient_checkpointing) == (
        5,
        True,
        False,
        False,
    )
    assert loaded.to_json() == {**old_trl, "gradient_checkpointing": False, "packing": False}
    openai = TrainingRun(
        release_id=1, backend="openai", base_model="m", method="dpo",
        hyperparameters={"n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": "auto", "beta": 0.3},
    )  # fmt: skip
    assert hyperparameters_of(openai) == OpenAIDpo(n_epochs=3, beta=0.3)


def test_cli_param_items() -> None:
    assert parse_param_args(["n_epochs=3", " beta = 0.2 "]) == {"n_epochs": "3", "beta": "0.2"}
    with pytest.raises(ValidationFailedError, match="--param takes name=value"):
        parse_param_args(["n_epochs"])


def test_launch_checks_the_release(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    trl_release = make_release(training_engine, format="trl")
    with session_scope(training_engine) as session:
        with pytest.raises(NotFoundError):
            launch_run(session, release_id=999999, backend="openai", base_model="m")
        with pytest.raises(ValidationFailedError, match="unknown backend 'azure'"):
            launch_run(session, release_id=release, backend="azure", base_model="m")
        with pytest.raises(ValidationFailedError, match="unknown method 'ppo'"):
            launch_run(session, release_id=release, backend="openai", base_model="m", method="ppo")
        with pytest.raises(ValidationFailedError, match="needs a release built in the openai format"):
            launch_run(session, release_id=trl_release, backend="openai", base_model="m")
        with pytest.raises(ValidationFailedError, match="seed must be between"):
            launch_run(session, release_id=release, backend="openai", base_model="m", seed=-1)
        row = session.get(DatasetRelease, release)
        assert row is not None
        row.lint = {**(row.lint or {}), "has_errors": True}
        session.add(row)
        session.flush()
        with pytest.raises(ValidationFailedError, match="has lint errors"):
            launch_run(session, release_id=release, backend="openai", base_model="m")
        # TRL reads any format and does not depend on OpenAI's lint.
        run, job = launch_run(session, release_id=trl_release, backend="trl", base_model="/models/base")
        assert (run.method, job.kind, job.payload, run.job_id) == (
            "supervised",
            "train",
            {"run_id": run.id},
            job.id,
        )
        row.status = ReleaseStatus.building
        session.add(row)
        session.flush()
        with pytest.raises(ValidationFailedError, match="only ready releases can be trained"):
            launch_run(session, release_id=release, backend="trl", base_model="m")


def test_openai_cutoff(
    training_engine: Engine, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-cutoff")  # a run without a key is refused before the cutoff
    release = make_release(training_engine)
    with session_scope(training_engine) as session:
        run, _ = launch_run(
            session, release_id=release, backend="openai", base_model="m", today=date(2027, 1, 5)
        )
        assert run.options["base_url"] == "https://api.openai.com/v1"
        with pytest.raises(
            ValidationFailedError, match="OpenAI stopped accepting new fine-tuning jobs on 2027-01-06"
        ):
            launch_run(session, release_id=release, backend="openai", base_model="m", today=date(2027, 1, 6))
        # Another OpenAI-compatible endpoint, or TRL, is not affected.
        launch_run(session, release_id=release, backend="trl", base_model="m", today=date(2030, 1, 1))
        monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
        launch_run(session, release_id=release, backend="openai", base_model="m", today=date(2030, 1, 1))


def test_launch_is_refused_for_lint_errors_and_without_a_key(
    training_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    release = make_release(training_engine)
    with session_scope(training_engine) as session:
        with pytest.raises(ValidationFailedError, match="No fine-tuning API key"):
            launch_run(session, release_id=release, backend="openai", base_model="m")
        row = session.get(DatasetRelease, release)
        assert row is not None
        row.lint = {**(row.lint or {}), "has_errors": True}
        session.add(row)
        session.flush()
        with pytest.raises(ValidationFailedError, match="has lint errors"):
            launch_run(session, release_id=release, backend="trl", base_model="m")


def test_charts_are_plain_svg_geometry() -> None:
    chart = line_chart("loss", [(1, 2.0), (2, 1.0), (3, 0.5)])
    assert chart is not None
    assert chart.points == "52.0,12.0 201.0,100.0 350.0,144.0"
    assert [t.label for t in chart.x_ticks] == ["1", "2", "3"]
    assert chart.last == "0.5"
    assert line_chart("x", []) is None
    single = line_chart("x", [(5, 1.0)])
    assert single is not None
    assert single.points == "201.0,78.0"
    many = line_chart("x", [(i, float(i)) for i in range(5000)])
    assert many is not None
    assert len(many.points.split()) <= 401
    assert many.dots == []
    names = [
        c.name for c in charts_for({"zeta": [(1, 1.0)], "rewards/margins": [(1, 0.1)], "loss": [(1, 1.0)]})
    ]
    assert names == ["loss", "rewards/margins", "zeta"]
