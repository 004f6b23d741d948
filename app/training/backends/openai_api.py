"""The OpenAI-compatible fine-tuning API through the `openai` SDK.

Launch: upload the release files (purpose "fine-tune"), then create the job with our run id in its
metadata. Before every create the provider is asked for a job carrying that metadata, so a crash (or a lost
response) between the provider's create and our commit never leads to a second job (R7). Then status,
events and checkpoints are polled into the run until the job ends. Rate limits, 5xx answers and lost
connections back off and retry; any other 4xx ends the run with the provider's message in words.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from openai import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    OpenAI,
    OpenAIError,
    RateLimitError,
)
from sqlmodel import Session

from app.config import get_settings
from app.db import session_scope
from app.errors import PairwiseError, ValidationFailedError
from app.jobs.runner import JobCancelled
from app.releases.models import DatasetRelease
from app.training.backends.base import AUTO, Param
from app.training.driver import EventIn, RunDriver, from_unix
from app.training.models import TERMINAL, RunStatus, TrainingRun
from app.training.models import run_summary as summary
from app.training.provider import credentials, endpoint
from app.training.secrets import instance_id

T = TypeVar("T")

RUN_KEY = "pairwise_run_id"
INSTANCE_KEY = "pairwise_instance"
RELEASE_KEY = "pairwise_release_id"
LAUNCH_ATTEMPTS = 8
MAX_BACKOFF = 300.0
MAX_EVENT_PAGES = 20
MAX_LOOKUP_PAGES = 5
REQUEST_TIMEOUT = 120.0
REMOTE_STATUSES = {"validating_files", "queued", "running", "succeeded", "failed", "cancelled"}

PARAMS = [
    Param("n_epochs", int, "Epochs", "Passes over the training file.", AUTO, 1, 50, allow_auto=True),
    Param("batch_size", int, "Batch size", "Examples per batch.", AUTO, 1, 256, allow_auto=True),
    Param(
        "learning_rate_multiplier", float, "Learning rate multiplier", "Scales the provider's learning rate.",
        AUTO, 0, 100, exclusive_minimum=True, allow_auto=True,
    ),
    Param(
        "beta", float, "Beta (DPO)", "How far the model may move from the reference; higher is more conservative.",
        AUTO, 0, 2, exclusive_minimum=True, allow_auto=True, methods=frozenset({"dpo"}),
    ),
]  # fmt: skip

TRANSIENT = (RateLimitError, InternalServerError, APIConnectionError, APITimeoutError)


class ProviderRefusedError(PairwiseError):
    """The provider answered a 4xx other than 429: its message, in words."""


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TRANSIENT):
        return True
    return (isinstance(exc, APIStatusError) and exc.status_code in (408, 409, 425)) or (
        isinstance(exc, APIStatusError) and exc.status_code >= 500
    )


def provider_message(exc: BaseException) -> str:
    """What the provider said, as a sentence."""
    if isinstance(exc, APIStatusError):
        body = exc.body
        message = None
        if isinstance(body, Mapping):
            message = body.get("message") or body.get("error")
            if isinstance(message, Mapping):
                message = message.get("message")
        elif isinstance(body, str) and body.strip():
            message = body.strip()[:500]
        reason = exc.response.reason_phrase if exc.response is not None else ""
        text = str(message or exc.message or "no message")
        return f"HTTP {exc.status_code}{(' ' + reason) if reason else ''}: {text}"
    if isinstance(exc, APITimeoutError):
        return "the request timed out"
    if isinstance(exc, APIConnectionError):
        try:
            url = exc.request.url
            where = f" at {url.scheme}://{url.host}{f':{url.port}' if url.port else ''}{url.path}"
        except (AttributeError, RuntimeError):
            where = ""
        return f"could not connect to the provider{where}"
    return f"{type(exc).__name__}: {exc}"


def _retry_after(exc: BaseException) -> float | None:
    if not isinstance(exc, APIStatusError) or exc.response is None:
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, min(float(value) * scale, MAX_BACKOFF))
        except ValueError:
            continue
    return None


def refused(what: str, exc: APIStatusError) -> ProviderRefusedError:
    hint = ""
    if exc.status_code == 401:
        hint = " Check the API key in Training settings (or OPENAI_API_KEY for the worker)."
    elif exc.status_code == 403:
        hint = " The key is not allowed to do this (organization, project or model access)."
    return ProviderRefusedError(f"The fine-tuning provider refused {what} ({provider_message(exc)}).{hint}")


def local_status(remote: str, *, cancel_requested: bool) -> str:
    if remote not in REMOTE_STATUSES:
        return RunStatus.running
    if cancel_requested and remote not in TERMINAL:
        return RunStatus.cancelling
    return remote


class OpenAIBackend:
    name = "openai"
    label = "OpenAI-compatible fine-tuning API"

    def params(self, method: str) -> list[Param]:
        return [p for p in PARAMS if method in p.methods]

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
            return OpenAI(api_key=key, base_url=base_url, max_retries=0, timeout=REQUEST_TIMEOUT)
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
        except _CancelledWhileUnreachable as stop:
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
        hyper = {k: v for k, v in run.hyperparameters.items() if v is not None}
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
        delay = _backoff_base(run)
        for attempt in range(1, LAUNCH_ATTEMPTS + 1):
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
            try:
                job = client.fine_tuning.jobs.create(**kwargs)
            except APIStatusError as exc:
                if not _is_transient(exc):
                    raise refused("the fine-tuning job", exc) from None
                delay = self._wait(driver, "creating the job", exc, delay, attempt)
            except (APIConnectionError, APITimeoutError) as exc:
                delay = self._wait(driver, "creating the job", exc, delay, attempt)
            except APIError as exc:
                raise PairwiseError(f"creating the fine-tuning job failed: {provider_message(exc)}") from None
            else:
                driver.event(f"created provider job {job.id} ({run.method}, {run.base_model})")
                return job
        raise PairwiseError("unreachable")  # _wait raises on the last attempt

    def _wait(self, driver: RunDriver, what: str, exc: BaseException, delay: float, attempt: int) -> float:
        if attempt >= LAUNCH_ATTEMPTS:
            raise PairwiseError(
                f"The fine-tuning provider stayed unavailable while {what} "
                f"({LAUNCH_ATTEMPTS} attempts; last answer {provider_message(exc)})."
            )
        wait = _retry_after(exc)
        wait = delay if wait is None else wait
        driver.event(f"{what}: {provider_message(exc)}; retrying in {wait:g} s", level="warn")
        driver.sleep(wait)
        # A provider that cannot be reached has received nothing from this attempt: a cancel can stop here
        # instead of waiting out every retry.
        # A timeout may have reached the provider, so only a refused connection counts.
        if (
            isinstance(exc, APIConnectionError)
            and not isinstance(exc, APITimeoutError)
            and driver.cancel_requested()
        ):
            note = (
                ""
                if what.startswith("the upload")
                else "; if an earlier request reached it, check the provider for a job"
            )
            raise _CancelledWhileUnreachable(f"cancelled while {what}: {provider_message(exc)}{note}")
        return min(delay * 2, MAX_BACKOFF)

    def _call(self, driver: RunDriver, what: str, function: Callable[[], T]) -> T:
        """One request with retries for rate limits, 5xx and lost connections; other 4xx refuse."""
        run = driver.load()
        delay = _backoff_base(run)
        for attempt in range(1, LAUNCH_ATTEMPTS + 1):
            try:
                return function()
            except APIStatusError as exc:
                if not _is_transient(exc):
                    raise refused(what, exc) from None
                delay = self._wait(driver, what, exc, delay, attempt)
            except (APIConnectionError, APITimeoutError) as exc:
                delay = self._wait(driver, what, exc, delay, attempt)
            except APIError as exc:
                raise PairwiseError(f"{what} failed: {provider_message(exc)}") from None
        raise PairwiseError("unreachable")

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
        base = _backoff_base(run)
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
                    if not _is_transient(exc):
                        if isinstance(exc, APIStatusError):
                            message = str(refused(f"the status request for job {run.remote_job_id}", exc))
                        else:
                            message = f"polling failed: {provider_message(exc)}"
                        driver.set_status(
                            RunStatus.failed, "polling stopped: the provider refused a request", level="error",
                            error=f"{message} The provider job may still be running; check the provider's dashboard.",
                        )  # fmt: skip
                        raise ProviderRefusedError(driver.load().error or message) from None
                    wait = _retry_after(exc)
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
            if _is_transient(exc) and not best_effort:
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
            values["error"] = _job_error(job)
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


def _job_error(job: Any) -> str:
    error = job.error
    if error is None:
        return "the provider reported the job as failed without a reason"
    parts = [error.message or "no message"]
    details = ", ".join(
        x
        for x in (f"code {error.code}" if error.code else "", f"param {error.param}" if error.param else "")
        if x
    )
    return f"{parts[0]} ({details})" if details else parts[0]


class _CancelledWhileUnreachable(Exception):
    """A cancel arrived while the provider could not be reached: the run stops as cancelled."""


def _backoff_base(run: TrainingRun) -> float:
    return float(run.options.get("backoff_seconds", 2.0))
