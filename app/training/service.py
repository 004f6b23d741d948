"""Training runs: validate and create (row first, then a job), cancel, and read for pages and the CLI.

Keyword-only functions that flush but never commit; the caller commits, then enqueues the returned job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.config import get_settings
from app.errors import ConflictError, NotFoundError, ValidationFailedError
from app.jobs.models import ACTIVE as JOB_ACTIVE
from app.jobs.models import Job, JobStatus
from app.jobs.service import cancel_job, create_job
from app.models_base import utcnow
from app.releases.models import DatasetRelease, ReleaseStatus
from app.settings.service import audit
from app.training.backends import BACKEND_NAMES, get_backend
from app.training.hyperparameters import hyperparameters_for
from app.training.models import TERMINAL, Method, RunEvent, RunMetric, RunStatus, TrainingRun
from app.training.provider import OPENAI_CUTOFF, cutoff_passed, endpoint

MAX_MODEL = 300
MAX_SUFFIX = 64
DEFAULT_POLL_SECONDS = 20.0
DEFAULT_BACKOFF_SECONDS = 2.0
KIND_METHOD = {"sft": Method.supervised, "dpo": Method.dpo}


def method_for(release: DatasetRelease) -> str:
    """The training method a release's kind calls for (sft -> supervised, dpo -> dpo)."""
    return str(KIND_METHOD.get(release.kind, Method.supervised))


def check_cutoff(session: Session, *, backend: str, today: date | None = None) -> None:
    if backend == "openai" and endpoint(session).is_openai and cutoff_passed(today):
        raise ValidationFailedError(
            f"OpenAI stopped accepting new fine-tuning jobs on {OPENAI_CUTOFF:%Y-%m-%d}. Models fine-tuned earlier "
            "keep serving until their base model retires. Use the TRL backend, or point Training settings at "
            "another OpenAI-compatible endpoint."
        )


def get_training_release(session: Session, *, release_id: int) -> DatasetRelease:
    release = session.get(DatasetRelease, release_id)
    if release is None:
        raise NotFoundError(f"release {release_id} does not exist")
    if release.status != ReleaseStatus.ready:
        raise ValidationFailedError(
            f"release {release_id} is {release.status}; only ready releases can be trained"
        )
    return release


def finished_run(session: Session, *, run_id: int) -> TrainingRun:
    """A training run that succeeded and left a model (what `run:ID` names)."""
    run = session.get(TrainingRun, run_id)
    if run is None:
        raise ValidationFailedError(f"run:{run_id}: training run {run_id} does not exist")
    if run.status != RunStatus.succeeded or not run.result_model:
        raise ValidationFailedError(
            f"run:{run_id}: training run {run_id} is {run.status}; only a succeeded run has a model to use"
        )
    return run


def run_model(run: TrainingRun) -> str:
    """The model a finished run made: the provider's model id, or the absolute folder a TRL run saved."""
    if run.backend == "trl":
        return str(get_settings().data_dir / (run.model_path or ""))
    return run.fine_tuned_model or ""


def resolve_base_model(session: Session, *, base_model: str, backend: str) -> tuple[str, int | None]:
    """(model, parent run id): `run:ID` trains on top of that run's model, on the same kind of backend."""
    if not base_model.startswith("run:"):
        return base_model, None
    try:
        run_id = int(base_model.removeprefix("run:").strip())
    except ValueError:
        raise ValidationFailedError(f"{base_model}: the run id must be a number") from None
    parent = finished_run(session, run_id=run_id)
    if parent.backend != backend:
        raise ValidationFailedError(
            f"{base_model}: run {run_id} trained on the {parent.backend} backend; a model on top of it trains on "
            f"{parent.backend} too (its model lives there), not {backend}"
        )
    return run_model(parent), run_id


def parse_param_args(items: list[str]) -> dict[str, str]:
    """CLI `--param k=v` items."""
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValidationFailedError(f"--param takes name=value, not {item!r}")
        params[name.strip()] = value.strip()
    return params


def launch_blocker(session: Session, *, release: DatasetRelease, backend: str) -> str | None:
    """Why a run of this release on this backend cannot start (lint errors, no API key), or None."""
    lint = release.lint or {}
    if lint.get("has_errors"):
        return (
            f"release {release.id} has lint errors; training on it would fail or teach the errors. "
            "Fix the data and build a new release."
        )
    if backend == "openai" and not endpoint(session).has_key:
        return (
            "No fine-tuning API key: an admin saves one in Training settings, or the server's environment sets "
            "OPENAI_API_KEY. The run was not started."
        )
    return None


def launch_run(
    session: Session,
    *,
    release_id: int,
    backend: str,
    base_model: str,
    method: str | None = None,
    params: Mapping[str, Any] | None = None,
    suffix: str | None = None,
    seed: int | None = None,
    user_id: int | None = None,
    today: date | None = None,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
) -> tuple[TrainingRun, Job]:
    """A validated run in status pending and its queued "train" job (flushed, not committed).

    The run row is committed before anything is sent to a provider; call `enqueue(job.id)` after commit.
    """
    if backend not in BACKEND_NAMES:
        raise ValidationFailedError(f"unknown backend {backend!r}; choose one of: {', '.join(BACKEND_NAMES)}")
    release = get_training_release(session, release_id=release_id)
    expected = method_for(release)
    method = (method or expected).strip()
    if method not in set(Method):
        raise ValidationFailedError(f"unknown method {method!r}; choose supervised or dpo")
    if method != expected:
        raise ValidationFailedError(
            f"release {release.id} holds {release.kind} data, which trains with method {expected}, not {method}"
        )
    blocker = launch_blocker(session, release=release, backend=backend)
    if blocker:
        raise ValidationFailedError(blocker)
    model, parent_run_id = resolve_base_model(
        session, base_model=" ".join(base_model.split()), backend=backend
    )
    if not model:
        raise ValidationFailedError("name the base model")
    if len(model) > MAX_MODEL or not model.isprintable():
        raise ValidationFailedError(f"the base model name must be at most {MAX_MODEL} printable characters")
    clean_suffix = (suffix or "").strip() or None
    if clean_suffix is not None and (len(clean_suffix) > MAX_SUFFIX or not clean_suffix.isprintable()):
        raise ValidationFailedError(f"the suffix must be at most {MAX_SUFFIX} printable characters")
    if seed is not None and not 0 <= seed <= 2**31 - 1:
        raise ValidationFailedError("the seed must be between 0 and 2147483647")
    if not 0 < poll_seconds <= 3600 or not 0 < backoff_seconds <= 600:
        raise ValidationFailedError("the poll interval must be between 0 and 3600 seconds")
    implementation = get_backend(backend)
    implementation.check_release(release, method=method)
    check_cutoff(session, backend=backend, today=today)
    hyperparameters = hyperparameters_for(backend, method).parse(params or {}).to_json()
    options = {
        **implementation.options(session),
        "poll_seconds": poll_seconds,
        "backoff_seconds": backoff_seconds,
    }
    if parent_run_id is not None:
        options["parent_run_id"] = parent_run_id
    run = TrainingRun(
        release_id=release.id or 0, backend=backend, base_model=model, method=method,
        hyperparameters=hyperparameters, options=options, suffix=clean_suffix, seed=seed,
        status=RunStatus.pending, created_by_id=user_id,
    )  # fmt: skip
    session.add(run)
    session.flush()
    job = create_job(session, kind="train", payload={"run_id": run.id}, user_id=user_id)
    run.job_id = job.id
    session.add(run)
    session.add(
        RunEvent(run_id=run.id or 0, kind="status", message=f"run created: {backend}, {method}, {model}")
    )
    audit(
        session, user_id=user_id, action="training.run.created", object_type="training_run", object_id=run.id,
        release_id=release.id, backend=backend, base_model=model, method=method,
    )  # fmt: skip
    session.flush()
    return run, job


def cancel_run(session: Session, *, run_id: int, user_id: int | None = None) -> TrainingRun:
    """Ask for a cancel. A run nothing was sent for yet is cancelled at once; otherwise its job stops the
    provider job or the training process and records the outcome."""
    run = get_run(session, run_id=run_id)
    if run.status in TERMINAL:
        raise ConflictError(f"run {run_id} already ended ({run.status})")
    job = session.get(Job, run.job_id) if run.job_id else None
    run.cancel_requested = True
    run.updated_at = utcnow()
    nothing_sent = run.remote_job_id is None and run.status == RunStatus.pending
    if nothing_sent and (
        job is None or job.status in (JobStatus.queued, JobStatus.failed, JobStatus.cancelled)
    ):
        run.status = RunStatus.cancelled
        run.finished_at = utcnow()
        if job is not None and job.status == JobStatus.queued:
            cancel_job(session, job_id=job.id or 0)
        message = "cancelled before anything was sent"
    else:
        run.status = RunStatus.cancelling
        if run.backend == "trl" and job is not None and job.status in (JobStatus.queued, JobStatus.running):
            cancel_job(session, job_id=job.id or 0)
        message = "cancel requested"
    session.add(run)
    session.add(RunEvent(run_id=run_id, kind="status", level="warn", message=message))
    audit(
        session,
        user_id=user_id,
        action="training.run.cancelled",
        object_type="training_run",
        object_id=run_id,
    )
    session.flush()
    return run


def get_run(session: Session, *, run_id: int) -> TrainingRun:
    run = session.get(TrainingRun, run_id)
    if run is None:
        raise NotFoundError(f"training run {run_id} does not exist")
    return run


def list_runs(session: Session, *, release_id: int | None = None, limit: int = 100) -> list[TrainingRun]:
    query = select(TrainingRun).order_by(col(TrainingRun.id).desc()).limit(limit)
    if release_id is not None:
        query = query.where(col(TrainingRun.release_id) == release_id)
    return list(session.execute(query).scalars())


def run_events(session: Session, *, run_id: int, limit: int = 200) -> list[RunEvent]:
    """The latest `limit` log lines, oldest first."""
    query = (
        select(RunEvent).where(col(RunEvent.run_id) == run_id).order_by(col(RunEvent.id).desc()).limit(limit)
    )
    return list(reversed(list(session.execute(query).scalars())))


def count_events(session: Session, *, run_id: int) -> int:
    query = select(func.count()).select_from(RunEvent).where(col(RunEvent.run_id) == run_id)
    return int(session.execute(query).scalar_one())


def run_metrics(session: Session, *, run_id: int) -> dict[str, list[tuple[int, float]]]:
    """Each metric's (step, value) points in step order."""
    query = (
        select(col(RunMetric.name), col(RunMetric.step), col(RunMetric.value))
        .where(col(RunMetric.run_id) == run_id)
        .order_by(col(RunMetric.name), col(RunMetric.step))
    )
    series: dict[str, list[tuple[int, float]]] = {}
    for name, step, value in session.execute(query):
        series.setdefault(name, []).append((int(step), float(value)))
    return series


def run_checkpoints(session: Session, *, run_id: int) -> list[RunEvent]:
    query = (
        select(RunEvent)
        .where(col(RunEvent.run_id) == run_id, col(RunEvent.kind) == "checkpoint")
        .order_by(col(RunEvent.id))
    )
    return list(session.execute(query).scalars())


@dataclass(frozen=True, slots=True)
class Resumable:
    run_id: int
    kind: str  # "train" (nothing known remotely yet: look up, then create) or "poll"


def resumable_runs(session: Session) -> list[Resumable]:
    """Active runs whose job is gone (worker died, job failed or cancelled): what a restart picks up.

    Rows are locked (FOR UPDATE on PostgreSQL; SQLite writes are serialized) so two workers resuming at the
    same time do not both start a job for one run.
    """
    query = (
        select(TrainingRun)
        .where(col(TrainingRun.status).in_([str(s) for s in RunStatus if s not in TERMINAL]))
        .order_by(col(TrainingRun.id))
        .with_for_update()
    )
    out = []
    for run in session.execute(query).scalars():
        job = session.get(Job, run.job_id) if run.job_id else None
        if job is not None and job.status in JOB_ACTIVE:
            continue
        out.append(Resumable(run_id=run.id or 0, kind="poll" if run.remote_job_id else "train"))
    return out


def attach_job(session: Session, *, run_id: int, kind: str, user_id: int | None = None) -> Job:
    """A new job that drives the run from now on (the run remembers it; older jobs step aside)."""
    run = get_run(session, run_id=run_id)
    job = create_job(session, kind=kind, payload={"run_id": run_id}, user_id=user_id)
    run.job_id = job.id
    run.updated_at = utcnow()
    session.add(run)
    session.add(RunEvent(run_id=run_id, kind="status", level="warn", message=f"resumed: {kind} job {job.id}"))
    session.flush()
    return job
