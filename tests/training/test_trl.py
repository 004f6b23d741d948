"""The TRL backend trains a tiny model for a few steps through the real job path (a child process), for SFT
and DPO, streams metrics into the run, saves the model and config next to the release manifest, and
stops cleanly on cancel."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.config import get_settings
from app.db import session_scope
from app.jobs.models import Job
from app.releases.models import DatasetRelease
from app.training.models import RunMetric
from app.training.service import cancel_run
from tests.training.conftest import events_of, execute, launch, load_run, make_release
from tests.training.tiny_model import build_tiny_model
from tests.training.web import signed_in
from tests.web_helpers import make_user

# Each test is reported on its own (skipped with the reason when the extra is missing; CI installs it).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("trl") is None,
        reason="the training extra (pairwise[train]) is not installed",
    ),
]

FEW_STEPS = {"max_steps": "3", "batch_size": "2", "logging_steps": "1", "max_length": "128"}


def release_folder(engine: Engine, release_id: int) -> Path:
    with session_scope(engine, read_only=True) as session:
        release = session.get(DatasetRelease, release_id)
        assert release is not None
        return get_settings().data_dir / (release.directory or "")


def tiny_base(engine: Engine, release_id: int, tmp_path: Path) -> Path:
    folder = release_folder(engine, release_id)
    return build_tiny_model(tmp_path / "tiny-base", sorted(folder.glob("*.jsonl")))


def metric_names(engine: Engine, run_id: int) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    with session_scope(engine, read_only=True) as session:
        for m in session.execute(
            select(RunMetric).where(col(RunMetric.run_id) == run_id).order_by(col(RunMetric.step))
        ).scalars():
            out.setdefault(m.name, []).append(m.step)
    return out


@pytest.mark.parametrize(
    ("kind", "format", "extra", "expected_metrics"),
    [
        ("sft", "trl", {}, {"loss", "learning_rate", "mean_token_accuracy", "tokens_per_second"}),
        ("dpo", "trl", {"beta": "0.2"}, {"loss", "learning_rate", "rewards/margins", "rewards/accuracies"}),
        # LoRA through peft, on the OpenAI preference format (the worker maps it to prompt/chosen/rejected).
        ("dpo", "openai", {"lora": "true", "lora_r": "4", "lora_alpha": "8"}, {"loss", "rewards/margins"}),
    ],
    ids=["sft", "dpo", "dpo-lora-openai-format"],
)
def test_tiny_model_trains_through_the_job_and_the_run_page_shows_its_metrics(
    training_engine: Engine, tmp_path: Path, fast_passwords: None,
    kind: str, format: str, extra: dict[str, str], expected_metrics: set[str],
) -> None:  # fmt: skip
    release = make_release(training_engine, kind=kind, format=format, rows=12)
    base = tiny_base(training_engine, release, tmp_path)
    run_id, job_id = launch(
        training_engine, release, backend="trl", base_model=str(base), params={**FEW_STEPS, **extra}, seed=3
    )
    job = execute(training_engine, job_id)
    run = load_run(training_engine, run_id)
    assert job.status == "succeeded", (job.error, run.error)
    assert run.status == "succeeded"
    assert run.error is None
    assert run.step == 3
    assert run.total_steps == 3

    # The model and the exact config sit next to the release manifest.
    folder = release_folder(training_engine, release)
    assert (folder / "manifest.json").is_file()
    run_dir = folder / "runs" / str(run_id)
    assert run.model_path == f"{folder.relative_to(get_settings().data_dir).as_posix()}/runs/{run_id}/model"
    model_dir = get_settings().data_dir / run.model_path
    if extra.get("lora"):
        assert (model_dir / "adapter_config.json").is_file()
        assert (model_dir / "adapter_model.safetensors").is_file()
    else:
        assert (model_dir / "config.json").is_file()
        assert (model_dir / "model.safetensors").is_file()
    assert (model_dir / "tokenizer.json").is_file()
    assert (model_dir / "trainer_config.json").is_file()
    config = orjson.loads((run_dir / "config.json").read_bytes())
    assert config["method"] == run.method
    assert config["base_model"] == str(base)
    assert config["seed"] == 3
    assert config["hyperparameters"] == run.hyperparameters
    assert config["train_file"] == str((folder / "train.jsonl").resolve())
    assert config["release"]["format"] == format
    trainer_config = orjson.loads((model_dir / "trainer_config.json").read_bytes())
    assert trainer_config["max_steps"] == 3
    assert trainer_config["learning_rate"] == run.hyperparameters["learning_rate"]
    if kind == "dpo":
        assert trainer_config["beta"] == run.hyperparameters["beta"]

    metrics = metric_names(training_engine, run_id)
    assert expected_metrics <= set(metrics), sorted(metrics)
    assert metrics["loss"] == [1, 2, 3]
    messages = [e.message for e in events_of(training_engine, run_id)]
    assert "training started: 3 steps" in messages
    assert any(m.startswith("step 3/3: loss ") for m in messages)
    assert messages[-1] == f"model saved to {run.model_path}"

    make_user(training_engine, "boss", role="admin")
    page = signed_in("boss").get(f"/admin/training/runs/{run_id}")
    assert page.status_code == 200
    for name in expected_metrics:
        assert f'data-metric="{name}"' in page.text
    assert "<polyline points=" in page.text
    assert run.model_path in page.text
    assert 'hx-trigger="every 3s"' not in page.text, "a finished run does not poll"


def test_cancel_stops_the_training_process_cleanly(training_engine: Engine, tmp_path: Path) -> None:
    release = make_release(training_engine, kind="sft", format="trl", rows=12)
    base = tiny_base(training_engine, release, tmp_path)
    params = {**FEW_STEPS, "max_steps": "100000"}
    run_id, job_id = launch(training_engine, release, backend="trl", base_model=str(base), params=params)
    result: dict[str, Job] = {}
    worker = threading.Thread(target=lambda: result.update(job=execute(training_engine, job_id)))
    worker.start()
    deadline = time.monotonic() + 120
    while (load_run(training_engine, run_id).step or 0) < 2:
        assert worker.is_alive(), load_run(training_engine, run_id).error
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with session_scope(training_engine) as session:
        assert cancel_run(session, run_id=run_id).status == "cancelling"
    worker.join(timeout=60)
    assert not worker.is_alive()
    run = load_run(training_engine, run_id)
    assert run.status == "cancelled"
    assert run.model_path is None
    assert result["job"].status == "cancelled"
    messages = [e.message for e in events_of(training_engine, run_id)]
    assert "cancel: stopping the training process after this step" in messages
    assert any(m.startswith("training stopped by a cancel (exit code 3)") for m in messages), messages
    run_dir = release_folder(training_engine, release) / "runs" / str(run_id)
    assert not (run_dir / "model").exists()
    assert "stopped by a cancel; nothing saved" in " ".join(messages)


def test_a_missing_base_model_fails_with_a_reason(training_engine: Engine) -> None:
    release = make_release(training_engine, kind="sft", format="trl", rows=12)
    run_id, job_id = launch(
        training_engine, release, backend="trl", base_model="no-such-org/no-such-model", params=FEW_STEPS
    )
    job = execute(training_engine, job_id)
    run = load_run(training_engine, run_id)
    assert run.status == "failed"
    assert job.status == "failed"
    assert (run.error or "").startswith(
        "base model 'no-such-org/no-such-model' is neither a model folder nor a model in the local Hugging Face cache"
    )
    assert "Last lines of" in (run.error or "") or "downloads are off" in (run.error or "")
