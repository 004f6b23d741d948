"""TRL on this worker: SFT or DPO in a child process (`python -m app.training.trl_worker CONFIG.json`).

torch never loads in the web process or the job worker itself; the child streams JSON lines (one per
trainer log) that become metrics and log lines of the run. A cancel sends SIGTERM: the child stops after
the current step and exits without saving; one that does not stop within the grace period is killed.
The exact config goes to `<release folder>/runs/<run id>/config.json`, the model to `.../model/`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import orjson
from sqlmodel import Session

from app.config import get_settings
from app.errors import PairwiseError, ValidationFailedError
from app.jobs.runner import JobCancelled
from app.releases.models import DatasetRelease
from app.training.driver import RunDriver
from app.training.hyperparameters import TrlHyperparameters, hyperparameters_of
from app.training.models import TERMINAL, RunStatus, TrainingRun, run_summary

ROOT = Path(__file__).resolve().parents[3]
CONFIG_SCHEMA = "pairwise.trl-run/1"
STOP_GRACE_SECONDS = 30.0
CANCEL_CHECK_SECONDS = 1.0
LOG_TAIL = 1500
# Trainer log entries that are bookkeeping, not curves.
NOT_METRICS = frozenset(
    {"epoch", "total_flos", "train_runtime", "train_samples_per_second", "train_steps_per_second"}
)
EXIT_CANCELLED = 3

REQUIRED_MODULES = ("torch", "transformers", "trl", "datasets", "accelerate")


def missing_modules(*, lora: bool) -> list[str]:
    names = [*REQUIRED_MODULES, *(("peft",) if lora else ())]
    return [name for name in names if importlib.util.find_spec(name) is None]


class TrlBackend:
    name = "trl"
    label = "TRL on a worker (SFTTrainer / DPOTrainer)"

    def check_release(self, release: DatasetRelease, *, method: str) -> None:
        if not any(f.get("split") == "train" for f in release.files):
            raise ValidationFailedError(f"release {release.id} has no training file")

    def options(self, session: Session) -> dict[str, Any]:
        return {"stop_grace_seconds": STOP_GRACE_SECONDS}

    def follow(self, driver: RunDriver) -> dict[str, Any]:
        """A TRL run cannot be followed after its worker died: the training process died with it."""
        run = driver.load()
        if run.status not in TERMINAL:
            driver.set_status(
                RunStatus.failed, level="error",
                error="The worker running this training stopped; the training process ended with it. Start a new run.",
            )  # fmt: skip
        return run_summary(driver.load())

    # ------------------------------------------------------------------------------------ running

    def execute(self, driver: RunDriver) -> dict[str, Any]:
        run = driver.load()
        if run.status in TERMINAL:
            return run_summary(run)
        if run.job_id is not None and run.job_id != driver.ctx.job_id:
            return {"skipped": f"job {run.job_id} drives run {run.id}"}
        if run.cancel_requested:
            driver.set_status(RunStatus.cancelled, "cancelled before training started")
            return run_summary(driver.load())
        if run.status != RunStatus.pending:
            return self.follow(driver)
        hyper = hyperparameters_of(run)
        assert isinstance(hyper, TrlHyperparameters)
        missing = missing_modules(lora=hyper.lora)
        if missing:
            message = (
                f"This worker lacks {', '.join(missing)}: install the training extra (pip install 'pairwise[train]') "
                "on the machine that runs `pairwise worker`."
            )
            driver.set_status(RunStatus.failed, level="error", error=message)
            raise PairwiseError(message)
        release = driver.release(run)
        data_dir = get_settings().data_dir
        folder = f"{release.directory}/runs/{run.id}"
        run_dir = data_dir / folder
        run_dir.mkdir(parents=True, exist_ok=True)
        config = build_config(run, release, hyper, data_dir=data_dir, run_dir=run_dir)
        config_path = run_dir / "config.json"
        config_path.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        driver.set_status(
            RunStatus.running,
            f"training on {socket.gethostname()}: {run.method} of {run.base_model}; config {folder}/config.json",
        )
        return self._supervise(driver, run, config_path=config_path, run_dir=run_dir, folder=folder)

    def _supervise(
        self, driver: RunDriver, run: TrainingRun, *, config_path: Path, run_dir: Path, folder: str
    ) -> dict[str, Any]:
        log_path = run_dir / "train.log"
        env = child_env(run_dir)
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.training.trl_worker", str(config_path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log_file, env=env, cwd=str(ROOT),
            )  # fmt: skip
            assert process.stdout is not None
            lines: queue.Queue[bytes | None] = queue.Queue()
            reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
            reader.start()
            state = _State()
            grace = float(run.options.get("stop_grace_seconds", STOP_GRACE_SECONDS))
            job_cancelled = False
            last_check = 0.0
            while True:
                try:
                    line = lines.get(timeout=0.25)
                except queue.Empty:
                    line = b""
                if line is None:
                    break
                if line:
                    self._handle(driver, state, line)
                now = time.monotonic()
                if state.stop_sent_at is None:
                    cancel = False
                    try:
                        driver.maybe_heartbeat(state.step, state.total)
                    except JobCancelled:
                        cancel = job_cancelled = True
                    if not cancel and now - last_check >= CANCEL_CHECK_SECONDS:
                        last_check = now
                        cancel = driver.cancel_requested()
                    if cancel:
                        state.stop_sent_at = now
                        driver.update(cancel_requested=True)
                        driver.update(status=RunStatus.cancelling)
                        driver.event(
                            "cancel: stopping the training process after this step",
                            level="warn",
                            kind="status",
                        )
                        _signal(process, signal.SIGTERM)
                elif process.poll() is None and now - state.stop_sent_at > grace:
                    driver.event(
                        f"the training process did not stop within {grace:g} s; killing it", level="warn"
                    )
                    _signal(process, signal.SIGKILL)
                    state.stop_sent_at = float("inf")
            code = process.wait()
            reader.join(timeout=5)
        return self._finish(
            driver, state, code=code, log_path=log_path, folder=folder, job_cancelled=job_cancelled
        )

    def _handle(self, driver: RunDriver, state: _State, line: bytes) -> None:
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            return
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        if kind == "start":
            state.total = _int(message.get("total_steps"))
            driver.update(total_steps=state.total, step=0)
            driver.event(f"training started: {state.total} steps")
        elif kind == "log":
            step = _int(message.get("step")) or 0
            raw = message.get("logs")
            logs: dict[str, Any] = raw if isinstance(raw, dict) else {}
            values = {k: v for k, v in logs.items() if k not in NOT_METRICS}
            driver.metrics(step, values)
            state.step = step
            state.total = _int(message.get("total_steps")) or state.total
            driver.update(step=step, total_steps=state.total)
            shown = ", ".join(f"{k} {_fmt(v)}" for k, v in values.items() if isinstance(v, int | float))
            driver.event(f"step {step}/{state.total}: {shown}", kind="metrics", data={"step": step, **values})
        elif kind == "status":
            driver.event(str(message.get("message", ""))[:2000])
        elif kind == "done":
            state.done = True
        elif kind == "error":
            state.error = str(message.get("message", ""))[:3000]

    def _finish(
        self, driver: RunDriver, state: _State, *, code: int, log_path: Path, folder: str, job_cancelled: bool
    ) -> dict[str, Any]:
        if state.stop_sent_at is not None:
            driver.set_status(
                RunStatus.cancelled, f"training stopped by a cancel (exit code {code}); no model was saved"
            )
            if job_cancelled or driver.load().cancel_requested:
                raise JobCancelled()
            return run_summary(driver.load())
        if code == 0 and state.done:
            driver.set_status(
                RunStatus.succeeded,
                f"model saved to {folder}/model",
                model_path=f"{folder}/model",
                step=state.step,
            )
            return run_summary(driver.load())
        reason = state.error or f"the training process exited with code {code}"
        tail = _tail(log_path)
        error = f"{reason}\n\nLast lines of {folder}/train.log:\n{tail}" if tail else reason
        driver.set_status(RunStatus.failed, f"training failed: {reason}", level="error", error=error)
        raise PairwiseError(f"training failed: {reason}")


class _State:
    def __init__(self) -> None:
        self.step = 0
        self.total: int | None = None
        self.done = False
        self.error: str | None = None
        self.stop_sent_at: float | None = None


def build_config(
    run: TrainingRun, release: DatasetRelease, hyper: TrlHyperparameters, *, data_dir: Path, run_dir: Path
) -> dict[str, Any]:
    """Everything the worker needs, written next to the release manifest: this file is the exact config."""
    files = {f.get("split"): f for f in release.files if f.get("split") in ("train", "validation")}

    def path_of(split: str) -> str | None:
        entry = files.get(split)
        return str((data_dir / entry["path"]).resolve()) if entry else None

    return {
        "schema": CONFIG_SCHEMA,
        "run_id": run.id,
        "release": {"id": release.id, "name": release.name, "kind": release.kind, "format": release.format,
                    "manifest_sha256": release.manifest_sha256},
        "method": run.method,
        "base_model": run.base_model,
        "train_file": path_of("train"),
        "validation_file": path_of("validation"),
        "output_dir": str((run_dir / "model").resolve()),
        "work_dir": str((run_dir / "work").resolve()),
        "seed": run.seed if run.seed is not None else 42,
        "hyperparameters": hyper.to_json(),
    }  # fmt: skip


def child_env(run_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
        TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1", WANDB_DISABLED="true",
        HF_DATASETS_CACHE=str(run_dir / "work" / "datasets-cache"),
    )  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    # Nothing secret is needed for local training.
    for name in list(env):
        if name.startswith("PAIRWISE_") or name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY"):
            del env[name]
    return env


def _read_lines(stream: IO[bytes], out: queue.Queue[bytes | None]) -> None:
    try:
        for line in iter(stream.readline, b""):
            out.put(line)
    finally:
        out.put(None)


def _signal(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _tail(path: Path) -> str:
    try:
        data = path.read_bytes()[-LOG_TAIL:]
    except OSError:
        return ""
    return data.decode("utf-8", "replace").strip()
