"""The OpenAI-compatible fine-tuning API through the `openai` SDK.

Launch: upload the release files, then create the job with our run id in its metadata; before every create
the provider is asked for a job carrying that metadata, so a lost answer never leads to a second job (R7).
Then status, events and checkpoints are polled into the run until the job ends (retries: openai_errors).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from openai import (
    APIError,
    APIStatusError,
    OpenAI,
    OpenAIError,
)
from sqlmodel import Session

from app.config import get_settings
from app.db import session_scope
from app.errors import PairwiseError, ValidationFailedError
from app.jobs.runner import JobCancelled
from app.net import policy_http_client
from app.releases.models import DatasetRelease
from app.training.backends.openai_errors import (
    MAX_BACKOFF,
    CancelledWhileUnreachable,
    ProviderRefusedError,
    backoff_base,
    is_transient,
    job_error,
    local_status,
    provider_message,
    refused,
    retry_after,
    with_retries,
)
from app.training.driver import EventIn, RunDriver, from_unix
from app.training.hyperparameters import hyperparameters_of
from app.training.models import TERMINAL, RunStatus, TrainingRun
from app.training.models import run_summary as summary
from app.training.provider import credentials, endpoint
from app.training.secrets import instance_id

T = TypeVar("T")

RUN_KEY = "pairwise_run_id"
INSTANCE_KEY = "pairwise_instance"
RELEASE_KEY = "pairwise_release_id"
MAX_EVENT_PAGES = 20
MAX_LOOKUP_PAGES = 5
REQUEST_TIMEOUT = 120.0


class OpenAIBackend:
    name = "openai"
    label = "OpenAI-compatible fine-tuning API"

    def check_release(self, release: DatasetRelease, *, method: str) -> None:
        if release.format != "openai":
            raise ValidationFailedError(
                f"release {release.id} is in the {release.format} format; the OpenAI API needs a release "
                "built in the openai format"
            )
        if release.lint and release.lint.get("has_errors"):
            raise ValidationFailedError(
                f"release {release.id} has lint errors; the provider would reject its files. Fix the data and "
                "build a new release."
            )

    def options(self, session: Session) -> dict[str, Any]:
        ep = endpoint(session)
        return {"base_url": ep.base_url, "credentials": ep.source}

    # ---------------------------------------------------------------------------------- the client

    def client(self, driver: RunDriver, run: TrainingRun) -> OpenAI:
        with session_scope(driver.engine, read_only=True) as session:
            base_url, key = credentials(session)
            current = endpoint(session).base_url
        for secret in (key, os.environ.get("OPENAI_API_KEY")):
            if secret and secret not in driver.secrets:
                driver.secrets.append(secret)
        started_on = run.options.get("base_url")
        if started_on and started_on != current:
            raise PairwiseError(
                f"The fine-tuning endpoint changed since this run started ({started_on} → {current}); "
                "the run cannot be followed on another endpoint."
            )
        try:
            return OpenAI(
                api_key=key, base_url=base_url, max_retries=0, timeout=REQUEST_TIMEOUT,
                http_client=policy_http_client(timeout=REQUEST_TIMEOUT),
            )  # fmt: skip
        except OpenAIError as exc:
            raise PairwiseError(
                "No fine-tuning API key: an admin saves one in Training settings, or the worker's environment "
                "sets OPENAI_API_KEY."
            ) from exc

    # ------------------------------------------------------------------------------------- launch

    def execute(self, driver: RunDriver) -> dict[str, Any]:
        run = driver.load()
        if run.status in TERMINAL:
            return summary(run)
        if run.job_id is not None and run.job_id != driver.ctx.job_id:
            return {"skipped": f"job {run.job_id} drives run {run.id}"}
        client = self.client(driver, run)
        try:
            return self._launch_and_follow(driver, client, run)
        except CancelledWhileUnreachable as stop:
            driver.set_status(RunStatus.cancelled, str(stop))
            return summary(driver.load())

    def _launch_and_follow(self, driver: RunDriver, client: OpenAI, run: TrainingRun) -> dict[str, Any]:
        if run.remote_job_id is None:
            # Look first even when cancelled: a create whose answer was lost leaves a job to cancel.
            remote = self._find(driver, client, run)
            if remote is None and run.cancel_requested:
                driver.set_status(RunStatus.cancelled, "cancelled before anything was sent to the provider")
                return summary(driver.load())
            if remote is not None:
                driver.event(
                    f"found provider job {remote.id} (created before a restart); no second job is created",
                    level="warn",
                )
            else:
                release = driver.release(run)
                self._upload(driver, client, run, release)
                run = driver.load()
                remote = self._create(driver, client, run, release)
                if remote is None:
                    driver.set_status(RunStatus.cancelled, "cancelled before the provider job was created")
                    return summary(driver.load())
            driver.set_status(
                local_status(remote.status, cancel_requested=run.cancel_requested),
                f"provider job {remote.id}: {remote.status}",
                remote_job_id=remote.id,
                remote_status=remote.status,
            )
        return self.follow(driver, client=client)

    def _metadata(self, run: TrainingRun) -> dict[str, str]:
        return {RUN_KEY: str(run.id), INSTANCE_KEY: instance_id()}

    def _find(self, driver: RunDriver, client: OpenAI, run: TrainingRun) -> Any:
        """The provider job created for this run, if any (filtered by metadata, checked again here in case
        a provider ignores the filter)."""
        wanted = self._metadata(run)

        def lookup() -> Any:
            page = client.fine_tuning.jobs.list(metadata=wanted, limit=100)
            for _ in range(MAX_LOOKUP_PAGES):
                for job in page.data:
                    meta = job.metadata or {}
                    if all(meta.get(k) == v for k, v in wanted.items()):
                        return job
                if not page.has_next_page():
                    break
                page = page.get_next_page()
            return None

        return self._call(driver, "the job lookup", lookup)

    def _upload(self, driver: RunDriver, client: OpenAI, run: TrainingRun, release: DatasetRelease) -> None:
        data_dir = get_settings().data_dir
        wanted = {"train": "training_file_id", "validation": "validation_file_id"}
        files = {f.get("split"): f for f in release.files if f.get("split") in wanted}
        if "train" not in files:
            raise ValidationFailedError(f"release {release.id} has no training file")
        for split, column in wanted.items():
            entry = files.get(split)
            if entry is None or getattr(run, column):
                continue
            path = (data_dir / entry["path"]).resolve()
            if not path.is_relative_to(data_dir.resolve()) or not path.is_file():
                raise PairwiseError(
                    f"the {split} file of release {release.id} is missing on disk ({entry['name']})"
                )
            if run.status != RunStatus.uploading:
                driver.set_status(RunStatus.uploading, "uploading the release files")
                run = driver.load()
            name = f"pairwise-release-{release.id}-{entry['name']}"
            uploaded = self._call(
                driver, f"the upload of {entry['name']}", functools.partial(_upload_one, client, path, name)
            )
            driver.update(**{column: uploaded.id})
            driver.event(f"uploaded {entry['name']} ({entry.get('rows')} rows) as file {uploaded.id}")

    def _create(self, driver: RunDriver, client: OpenAI, run: TrainingRun, release: DatasetRelease) -> Any:
        """The provider job, created once; None when the run was cancelled before it existed."""
        hyper = hyperparameters_of(run).to_json()
        method: dict[str, Any] = {"type": run.method, run.method: {"hyperparameters": hyper}}
        metadata = {**self._metadata(run), RELEASE_KEY: str(release.id)}
        kwargs: dict[str, Any] = {
            "model": run.base_model,
            "training_file": run.training_file_id,
            "method": method,
            "metadata": metadata,
        }
        if run.validation_file_id:
            kwargs["validation_file"] = run.validation_file_id
        if run.suffix:
            kwargs["suffix"] = run.suffix
        if run.seed is not None:
            kwargs["seed"] = run.seed

        def attempt_create(attempt: int) -> Any:
            driver.heartbeat(message=f"creating the fine-tuning job for run {run.id}")
            cancelled = driver.cancel_requested()
            if attempt > 1 or cancelled:
                # A create whose answer was lost may have worked: look before creating again.
                existing = self._find(driver, client, run)
                if existing is None and cancelled:
                    return None
                if existing is not None:
                    driver.event(
                        f"the provider created job {existing.id} although its answer was lost", level="warn"
                    )
                    return existing
            job = client.fine_tuning.jobs.create(**kwargs)
            driver.event(f"created provider job {job.id} ({run.method}, {run.base_model})")
            return job

        return with_retries(
            driver,
            attempt_create,
            waiting="creating the job",
            refusing="the fine-tuning job",
            failing="creating the fine-tuning job",
        )

    def _call(self, driver: RunDriver, what: str, function: Callable[[], T]) -> T:
        """One request with retries for rate limits, 5xx and lost connections; other 4xx refuse."""
        return with_retries(driver, lambda _attempt: function(), waiting=what, refusing=what, failing=what)

    # ------------------------------------------------------------------------------------ polling

    def follow(self, driver: RunDriver, *, client: OpenAI | None = None) -> dict[str, Any]:
        run = driver.load()
        if run.status in TERMINAL:
            return summary(run)
        if run.remote_job_id is None:
            return self.execute(driver)
        if run.job_id is not None and run.job_id != driver.ctx.job_id:
            return {"skipped": f"job {run.job_id} drives run {run.id}"}
        client = client or self.client(driver, run)
        base = backoff_base(run)
        delay, failing = base, False
        try:
            while True:
                run = driver.load()
                if run.cancel_requested and not run.options.get("cancel_sent"):
                    self._send_cancel(driver, client, run)
                try:
                    job = client.fine_tuning.jobs.retrieve(run.remote_job_id or "")
                    self._sync_events(driver, client, job.id)
                    if job.status in ("running", *TERMINAL):
                        self._sync_checkpoints(driver, client, job.id)
                except APIError as exc:
                    if not is_transient(exc):
                        if isinstance(exc, APIStatusError):
                            message = str(refused(f"the status request for job {run.remote_job_id}", exc))
                        else:
                            message = f"polling failed: {provider_message(exc)}"
                        driver.set_status(
                            RunStatus.failed, "polling stopped: the provider refused a request", level="error",
                            error=f"{message} The provider job may still be running; check the provider's dashboard.",
                        )  # fmt: skip
                        raise ProviderRefusedError(driver.load().error or message) from None
                    wait = retry_after(exc)
                    wait = delay if wait is None else max(wait, delay)
                    if not failing:
                        driver.event(
                            f"polling: {provider_message(exc)}; backing off ({wait:g} s)", level="warn"
                        )
                    failing = True
                    delay = min(delay * 2, MAX_BACKOFF)
                    driver.sleep(wait)
                    continue
                if failing:
                    driver.event("polling: the provider answers again")
                    failing, delay = False, base
                self._apply(driver, job)
                if job.status in TERMINAL:
                    return summary(driver.load())
                driver.heartbeat(message=f"run {run.id}: {job.status}")
                driver.sleep(float(run.options.get("poll_seconds", 20)))
        except JobCancelled:
            # The job row was cancelled (not just the run): stop the provider job too, then stop polling.
            driver.update(cancel_requested=True)
            run = driver.load()
            if not run.options.get("cancel_sent"):
                self._send_cancel(driver, client, run, best_effort=True)
            raise

    def _send_cancel(
        self, driver: RunDriver, client: OpenAI, run: TrainingRun, *, best_effort: bool = False
    ) -> None:
        try:
            job = client.fine_tuning.jobs.cancel(run.remote_job_id or "")
        except APIError as exc:
            if is_transient(exc) and not best_effort:
                driver.event(f"cancel: {provider_message(exc)}; trying again", level="warn")
                return
            driver.event(f"the provider refused the cancel ({provider_message(exc)})", level="warn")
        else:
            driver.event(f"cancel sent; provider status {job.status}")
            if best_effort:
                self._apply(driver, job)
        driver.update(options={**driver.load().options, "cancel_sent": True})

    def _apply(self, driver: RunDriver, job: Any) -> None:
        run = driver.load()
        status = local_status(job.status, cancel_requested=run.cancel_requested)
        values: dict[str, Any] = {"remote_status": job.status}
        if job.fine_tuned_model:
            values["fine_tuned_model"] = job.fine_tuned_model
        if job.trained_tokens is not None:
            values["trained_tokens"] = job.trained_tokens
        level = "info"
        message = f"provider status: {job.status}"
        if job.status == "failed":
            level = "error"
            values["error"] = job_error(job)
            message = f"the provider job failed: {values['error']}"
        elif job.status == "succeeded":
            message = f"the provider job succeeded: model {job.fine_tuned_model}"
        driver.set_status(status, message, level=level, **values)

    def _sync_events(self, driver: RunDriver, client: OpenAI, job_id: str) -> None:
        """New provider events, oldest first (the API lists newest first)."""
        new: list[Any] = []
        after: str | None = None
        for _ in range(MAX_EVENT_PAGES):
            page = (
                client.fine_tuning.jobs.list_events(job_id, limit=100, after=after)
                if after
                else client.fine_tuning.jobs.list_events(job_id, limit=100)
            )
            known = driver.known_remote_ids([e.id for e in page.data])
            seen_known = False
            for event in page.data:
                if event.id in known:
                    seen_known = True
                    break
                new.append(event)
            if seen_known or not page.data or not page.has_more:
                break
            after = page.data[-1].id
        items = []
        last_step: tuple[int, int] | None = None
        for event in reversed(new):
            data = event.data if isinstance(event.data, dict) else None
            items.append(
                EventIn(
                    message=event.message, level=event.level, remote_id=event.id, data=data,
                    kind="metrics" if event.type == "metrics" else "message", created_at=from_unix(event.created_at),
                )
            )  # fmt: skip
            if event.type == "metrics" and data and isinstance(data.get("step"), int | float):
                step = int(data["step"])
                driver.metrics(step, {k: v for k, v in data.items() if k not in ("step", "total_steps")})
                if isinstance(data.get("total_steps"), int | float):
                    last_step = (step, int(data["total_steps"]))
        driver.events(items)
        if last_step is not None:
            driver.update(step=last_step[0], total_steps=last_step[1])

    def _sync_checkpoints(self, driver: RunDriver, client: OpenAI, job_id: str) -> None:
        page = client.fine_tuning.jobs.checkpoints.list(job_id, limit=100)
        items = []
        for checkpoint in reversed(page.data):
            metrics = checkpoint.metrics.to_dict() if checkpoint.metrics is not None else {}
            items.append(
                EventIn(
                    message=f"checkpoint at step {checkpoint.step_number}: {checkpoint.fine_tuned_model_checkpoint}",
                    kind="checkpoint", remote_id=checkpoint.id, created_at=from_unix(checkpoint.created_at),
                    data={"step": checkpoint.step_number, "model": checkpoint.fine_tuned_model_checkpoint,
                          "metrics": metrics},
                )
            )  # fmt: skip
            driver.metrics(checkpoint.step_number, {k: v for k, v in metrics.items() if k != "step"})
        driver.events(items)


def _upload_one(client: OpenAI, path: Path, name: str) -> Any:
    with path.open("rb") as handle:
        return client.files.create(file=(name, handle, "application/jsonl"), purpose="fine-tune")
