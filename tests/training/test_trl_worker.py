"""The TRL worker's config handling and error paths, without torch: what it refuses, how it says so, and the exit
codes and JSON lines the backend relies on. Training itself is in test_trl.py (needs the training extra)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.training import trl_worker
from app.training.backends import trl_backend
from app.training.backends.trl_backend import child_env
from tests.training.conftest import events_of, execute, launch, load_run, make_release

ROOT = Path(__file__).resolve().parents[2]
HYPER = {
    "n_epochs": 1, "batch_size": 2, "learning_rate": 1e-5, "max_steps": 3, "gradient_accumulation_steps": 1,
    "logging_steps": 1, "max_length": 128,
}  # fmt: skip


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def config_for(tmp_path: Path, train_file: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "method": "supervised",
        "base_model": str(tmp_path / "no-model"),
        "train_file": str(train_file),
        "validation_file": None,
        "output_dir": str(tmp_path / "model"),
        "work_dir": str(tmp_path / "work"),
        "hyperparameters": dict(HYPER),
    }
    config.update(overrides)
    return config


def run_worker(tmp_path: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    """The worker as the backend starts it: its own process, JSON lines on stdout, exit code."""
    done = subprocess.run(
        [sys.executable, "-m", "app.training.trl_worker", *args],
        capture_output=True, cwd=ROOT, env=child_env(tmp_path), timeout=120, check=False,
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]
    return done.returncode, lines


class TestCheckConfig:
    def test_accepts_a_complete_config(self, tmp_path: Path) -> None:
        train = write_rows(tmp_path / "train.jsonl", [{"messages": []}])
        config = config_for(tmp_path, train)
        assert trl_worker.check_config(config) is config

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"method": "ppo"}, "method: expected 'supervised' or 'dpo', got 'ppo'"),
            ({"base_model": ""}, "the config lacks base_model"),
            ({"hyperparameters": []}, "hyperparameters: expected an object"),
            (
                {"hyperparameters": {**HYPER, "lora": True}},
                "hyperparameters lack lora_r, lora_alpha, lora_dropout",
            ),
            ({"method": "dpo"}, "hyperparameters lack beta (needed for DPO)"),
            (
                {"validation_file": "/nonexistent/valid.jsonl"},
                "validation_file: /nonexistent/valid.jsonl does not exist",
            ),
        ],
        ids=["method", "base-model", "hyperparameters-type", "lora", "dpo-beta", "validation-file"],
    )
    def test_refuses_naming_the_field(self, tmp_path: Path, change: dict[str, Any], message: str) -> None:
        train = write_rows(tmp_path / "train.jsonl", [{"messages": []}])
        with pytest.raises(trl_worker.ConfigError) as caught:
            trl_worker.check_config(config_for(tmp_path, train, **change))
        assert str(caught.value).startswith(message)

    def test_names_every_missing_hyperparameter(self, tmp_path: Path) -> None:
        train = write_rows(tmp_path / "train.jsonl", [{"messages": []}])
        with pytest.raises(trl_worker.ConfigError, match=r"^hyperparameters lack batch_size, max_length$"):
            trl_worker.check_config(
                config_for(
                    tmp_path,
                    train,
                    hyperparameters={k: v for k, v in HYPER.items() if k not in ("batch_size", "max_length")},
                )
            )

    def test_refuses_a_non_object(self) -> None:
        with pytest.raises(trl_worker.ConfigError, match="must be a JSON object, got list"):
            trl_worker.check_config([])


class TestLoadRows:
    def test_dpo_rows_need_prompt_chosen_rejected(self, tmp_path: Path) -> None:
        path = write_rows(tmp_path / "train.jsonl", [{"prompt": "p", "chosen": "c"}])
        with pytest.raises(
            trl_worker.ConfigError,
            match=r"train.jsonl: DPO needs prompt/chosen/rejected rows, found \['chosen', 'prompt'\]",
        ):
            trl_worker._load_rows(str(path), method="dpo", cache_dir=str(tmp_path / "cache"))

    def test_openai_preference_rows_become_prompt_chosen_rejected(self, tmp_path: Path) -> None:
        row = {
            "input": {"messages": [{"role": "user", "content": "q"}]},
            "preferred_output": [{"role": "assistant", "content": "good"}],
            "non_preferred_output": [{"role": "assistant", "content": "bad"}],
        }
        rows = trl_worker._load_rows(
            str(write_rows(tmp_path / "train.jsonl", [row])), method="dpo", cache_dir=str(tmp_path / "cache")
        )
        assert sorted(rows.column_names) == ["chosen", "prompt", "rejected"]
        assert rows[0]["prompt"] == [{"role": "user", "content": "q"}]
        assert rows[0]["chosen"] == [{"role": "assistant", "content": "good"}]
        assert rows[0]["rejected"] == [{"role": "assistant", "content": "bad"}]

    def test_sft_rows_need_messages_or_prompt_completion(self, tmp_path: Path) -> None:
        path = write_rows(tmp_path / "train.jsonl", [{"text": "plain"}])
        with pytest.raises(
            trl_worker.ConfigError, match=r"SFT needs messages or prompt/completion rows, found \['text'\]"
        ):
            trl_worker._load_rows(str(path), method="sft", cache_dir=str(tmp_path / "cache"))


class TestNumbers:
    def test_keeps_finite_numbers_only(self) -> None:
        logs = {"loss": 1.5, "step": 3, "nan": float("nan"), "inf": float("inf"), "flag": True, "name": "x"}
        assert trl_worker._numbers(logs) == {"loss": 1.5, "step": 3.0}


class TestWorkerProcess:
    def test_usage_error_exits_with_the_config_code(self, tmp_path: Path) -> None:
        code, lines = run_worker(tmp_path)
        assert code == trl_worker.EXIT_CONFIG
        assert lines == [{"type": "error", "message": "usage: python -m app.training.trl_worker CONFIG.json"}]

    def test_a_config_that_is_not_json_is_a_config_error(self, tmp_path: Path) -> None:
        path = tmp_path / "config.json"
        path.write_text("{not json", encoding="utf-8")
        code, lines = run_worker(tmp_path, str(path))
        assert code == trl_worker.EXIT_CONFIG
        assert lines[-1]["type"] == "error"
        assert lines[-1]["message"].startswith(f"the config {path} is not valid JSON")

    def test_a_missing_config_file_is_a_config_error(self, tmp_path: Path) -> None:
        code, lines = run_worker(tmp_path, str(tmp_path / "absent.json"))
        assert code == trl_worker.EXIT_CONFIG
        assert lines[-1]["message"].startswith(f"cannot read the config {tmp_path / 'absent.json'}")

    def test_bad_rows_fail_before_any_model_is_loaded(self, tmp_path: Path) -> None:
        train = write_rows(tmp_path / "train.jsonl", [{"prompt": "p"}])
        config = config_for(tmp_path, train, method="dpo", hyperparameters={**HYPER, "beta": 0.1})
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        code, lines = run_worker(tmp_path, str(path))
        assert code == trl_worker.EXIT_CONFIG
        assert lines == [
            {
                "type": "error",
                "message": "train.jsonl: DPO needs prompt/chosen/rejected rows, found ['prompt']",
            }
        ]


def test_the_child_environment_carries_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("PAIRWISE_SECRET_KEY", "x" * 40)
    env = child_env(tmp_path)
    assert "OPENAI_API_KEY" not in env
    assert not [name for name in env if name.startswith("PAIRWISE_")]
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["HF_DATASETS_CACHE"] == str(tmp_path / "work" / "datasets-cache")


def test_a_worker_without_the_training_extra_fails_the_run_in_words(
    training_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend checks the worker's modules before it writes a config or starts a process."""
    monkeypatch.setattr(trl_backend, "REQUIRED_MODULES", ("pairwise_no_such_module",))
    release = make_release(training_engine, kind="sft", format="trl", rows=12)
    run_id, job_id = launch(
        training_engine, release, backend="trl", base_model="tiny", params={"max_steps": "3"}
    )
    job = execute(training_engine, job_id)
    run = load_run(training_engine, run_id)
    assert job.status == "failed"
    assert run.status == "failed"
    assert run.error == (
        "This worker lacks pairwise_no_such_module: install the training extra (pip install 'pairwise[train]') "
        "on the machine that runs `pairwise worker`."
    )
    assert [e.message for e in events_of(training_engine, run_id) if e.level == "error"] == ["status: failed"]
