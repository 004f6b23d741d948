"""`pairwise train` and `pairwise runs list|show|cancel`, through Typer's runner on the real `pairwise` command."""

from __future__ import annotations

import orjson
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from app.db import session_scope
from app.jobs.models import Job
from tests.training.conftest import load_run, make_release
from tests.training.fake_openai import FakeOpenAI

runner = CliRunner()
FAST = ["--poll-interval", "0.02"]


def test_train_wait_json_prints_the_run(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine, kind="dpo")
    result = runner.invoke(cli, [
        "train", "--release", str(release), "--backend", "openai", "--model", "gpt-4.1-mini-2025-04-14",
        "--param", "beta=0.3", "--param", "n_epochs=2", "--suffix", "cli", "--seed", "5", "--wait", "--json", *FAST,
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert set(data) >= {"id", "backend", "status", "remote_job_id", "fine_tuned_model", "error"}
    assert data["backend"] == "openai"
    assert data["status"] == "succeeded"
    assert data["error"] is None
    assert data["method"] == "dpo"
    assert data["remote_job_id"] in openai_env.jobs
    assert data["fine_tuned_model"] == openai_env.jobs[data["remote_job_id"]]["fine_tuned_model"]
    assert openai_env.jobs[data["remote_job_id"]]["method"]["dpo"]["hyperparameters"]["beta"] == 0.3


def test_train_wait_prints_the_log_and_fails_with_exit_1(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    release = make_release(training_engine)
    result = runner.invoke(
        cli,
        ["train", "--release", str(release), "--backend", "openai", "--model", "gpt-fail-x", "--wait", *FAST],
    )
    assert result.exit_code == 1
    assert "provider status: running" in result.stderr
    assert "error: The job failed due to an invalid training file" in result.stderr
    result = runner.invoke(
        cli,
        [
            "train",
            "--release",
            str(release),
            "--backend",
            "openai",
            "--model",
            "gpt-fail-x",
            "--wait",
            "--json",
            *FAST,
        ],
    )
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)["status"] == "failed"


def test_train_without_wait_queues_a_job(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    result = runner.invoke(
        cli, ["train", "--release", str(release), "--backend", "openai", "--model", "m", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert data["status"] == "pending"
    run = load_run(training_engine, data["id"])
    with session_scope(training_engine, read_only=True) as session:
        job = session.get(Job, run.job_id)
        assert job is not None
        assert job.status == "queued"
        assert job.kind == "train"
    assert openai_env.requests == []


def test_bad_input_is_an_error_in_words(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    for args, message in (
        (["--param", "n_epochs"], "--param takes name=value"),
        (["--param", "epochs=3"], "unknown hyperparameter 'epochs' for openai"),
        (["--method", "dpo"], "which trains with method supervised, not dpo"),
    ):
        result = runner.invoke(
            cli, ["train", "--release", str(release), "--backend", "openai", "--model", "m", *args]
        )
        assert result.exit_code == 1
        assert message in result.stderr
        assert "Traceback" not in result.output
    result = runner.invoke(cli, ["train", "--release", str(release), "--backend", "azure", "--model", "m"])
    assert result.exit_code == 2  # a choice Typer checks: the usage error names the value
    assert "'azure'" in result.output
    result = runner.invoke(cli, ["train", "--release", "999999", "--backend", "trl", "--model", "m"])
    assert result.exit_code == 1
    assert "release 999999 does not exist" in result.stderr


def test_runs_list_show_cancel(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    queued = orjson.loads(
        runner.invoke(
            cli, ["train", "--release", str(release), "--backend", "openai", "--model", "m", "--json"]
        ).stdout
    )
    done = orjson.loads(runner.invoke(cli, ["train", "--release", str(release), "--backend", "openai", "--model", "gpt-4.1-mini",
                                            "--wait", "--json", *FAST]).stdout)  # fmt: skip
    listed = orjson.loads(runner.invoke(cli, ["runs", "list", "--json"]).stdout)
    assert [r["id"] for r in listed] == [done["id"], queued["id"]]
    table = runner.invoke(cli, ["runs", "list"])
    assert table.exit_code == 0
    assert "backend" in table.stdout
    shown = orjson.loads(runner.invoke(cli, ["runs", "show", str(done["id"]), "--json"]).stdout)
    assert shown["status"] == "succeeded"
    assert shown["hyperparameters"]["n_epochs"] == "auto"
    assert any("succeeded" in e["message"] for e in shown["events"])
    cancelled = runner.invoke(cli, ["runs", "cancel", str(queued["id"])])
    assert cancelled.exit_code == 0
    assert f"run {queued['id']}: cancelled" in cancelled.stderr
    again = runner.invoke(cli, ["runs", "cancel", str(queued["id"])])
    assert again.exit_code == 1
    assert "already ended (cancelled)" in again.stderr
    missing = runner.invoke(cli, ["runs", "show", "999999"])
    assert missing.exit_code == 1
    assert "training run 999999 does not exist" in missing.stderr
