"""Launch validation: hyperparameters per backend and method, releases, the OpenAI cut-off."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from app.charts import charts_for, line_chart
from app.db import session_scope
from app.errors import NotFoundError, ValidationFailedError
from app.releases.models import DatasetRelease, ReleaseStatus
from app.training.backends.base import AUTO, validate_params
from app.training.backends.openai_api import PARAMS as OPENAI_PARAMS
from app.training.backends.trl_backend import PARAMS as TRL_PARAMS
from app.training.service import launch_run, parse_param_args
from tests.training.conftest import make_release
from tests.training.fake_openai import FakeOpenAI


def openai_params(method: str) -> list:
    return [p for p in OPENAI_PARAMS if method in p.methods]


def test_openai_hyperparameters() -> None:
    resolved = validate_params(
        openai_params("dpo"), {"n_epochs": "4", "beta": "auto", "batch_size": 8}, backend="openai"
    )
    assert resolved == {"n_epochs": 4, "batch_size": 8, "learning_rate_multiplier": AUTO, "beta": AUTO}
    assert validate_params(openai_params("supervised"), {}, backend="openai") == {
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
            validate_params(openai_params("supervised"), raw, backend="openai")
        assert str(error.value) == message
    with pytest.raises(ValidationFailedError, match=r"beta must be > 0, ≤ 2, or auto, not 2.5"):
        validate_params(openai_params("dpo"), {"beta": "2.5"}, backend="openai")


def test_trl_hyperparameters_have_method_defaults() -> None:
    sft = validate_params(
        [p for p in TRL_PARAMS if "supervised" in p.methods], {"lora": "yes"}, backend="trl"
    )
    dpo = validate_params([p for p in TRL_PARAMS if "dpo" in p.methods], {}, backend="trl")
    assert sft["learning_rate"] == 2e-5
    assert sft["lora"] is True
    assert "beta" not in sft
    assert dpo["learning_rate"] == 1e-6
    assert dpo["beta"] == 0.1
    assert dpo["lora"] is False
    assert dpo["max_steps"] == -1
    with pytest.raises(ValidationFailedError, match="cannot be auto"):
        validate_params([p for p in TRL_PARAMS if "dpo" in p.methods], {"beta": "auto"}, backend="trl")
    with pytest.raises(ValidationFailedError, match="lora must be true or false"):
        validate_params([p for p in TRL_PARAMS if "dpo" in p.methods], {"lora": "maybe"}, backend="trl")


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
