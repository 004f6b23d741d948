"""Answers of the OpenAI-compatible API: transient or refused, in words, remote statuses, and the one retry loop."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from openai import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
)

from app.errors import PairwiseError
from app.training.driver import RunDriver
from app.training.models import TERMINAL, RunStatus, TrainingRun

T = TypeVar("T")

LAUNCH_ATTEMPTS = 8
MAX_BACKOFF = 300.0
REMOTE_STATUSES = {"validating_files", "queued", "running", "succeeded", "failed", "cancelled"}

TRANSIENT = (RateLimitError, InternalServerError, APIConnectionError, APITimeoutError)


class ProviderRefusedError(PairwiseError):
    """The provider answered a 4xx other than 429: its message, in words."""


def is_transient(exc: BaseException) -> bool:
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
        return "could not connect to the provider"
    return f"{type(exc).__name__}: {exc}"


def retry_after(exc: BaseException) -> float | None:
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


def backoff_base(run: TrainingRun) -> float:
    return float(run.options.get("backoff_seconds", 2.0))


def _wait(driver: RunDriver, what: str, exc: BaseException, delay: float, attempt: int) -> float:
    if attempt >= LAUNCH_ATTEMPTS:
        raise PairwiseError(
            f"The fine-tuning provider stayed unavailable while {what} "
            f"({LAUNCH_ATTEMPTS} attempts; last answer {provider_message(exc)})."
        )
    wait = retry_after(exc)
    wait = delay if wait is None else wait
    driver.event(f"{what}: {provider_message(exc)}; retrying in {wait:g} s", level="warn")
    driver.sleep(wait, wake_on_cancel=False)
    return min(delay * 2, MAX_BACKOFF)


def with_retries(
    driver: RunDriver, function: Callable[[int], T], *, waiting: str, refusing: str, failing: str
) -> T:
    """`function(attempt)` retried on rate limits, 5xx and lost connections; other 4xx refuse in words.

    `waiting`, `refusing` and `failing` name the request in the retry event, the refusal and other errors.
    """
    delay = backoff_base(driver.load())
    for attempt in range(1, LAUNCH_ATTEMPTS + 1):
        try:
            return function(attempt)
        except APIStatusError as exc:
            if not is_transient(exc):
                raise refused(refusing, exc) from None
            delay = _wait(driver, waiting, exc, delay, attempt)
        except (APIConnectionError, APITimeoutError) as exc:
            delay = _wait(driver, waiting, exc, delay, attempt)
        except APIError as exc:
            raise PairwiseError(f"{failing} failed: {provider_message(exc)}") from None
    raise PairwiseError("unreachable")  # _wait raises on the last attempt


def local_status(remote: str, *, cancel_requested: bool) -> str:
    if remote not in REMOTE_STATUSES:
        return RunStatus.running
    if cancel_requested and remote not in TERMINAL:
        return RunStatus.cancelling
    return remote


def job_error(job: Any) -> str:
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
