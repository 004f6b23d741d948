"""Asking candidates for answers: an OpenAI-compatible chat endpoint with bounded concurrency and retries, or a
local model folder in a worker subprocess. Each answer is stored as it arrives, so a restart asks only for
the answers still missing."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from openai import APIConnectionError, APIStatusError, APITimeoutError, OpenAI, OpenAIError

from app.errors import PairwiseError
from app.evaluation.candidates import Resolved
from app.training.secrets import redact

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 120.0
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_BACKOFF = 60.0


@dataclass(frozen=True, slots=True)
class Ask:
    prompt_id: int
    messages: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class Answer:
    prompt_id: int
    text: str
    finish_reason: str | None = None


Store = Callable[[Answer], None]
Tick = Callable[[], None]


class GenerationError(PairwiseError):
    """Some answers could not be generated; the ones that were are stored."""


def _retry_after(exc: APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _ask_once(client: OpenAI, model: str, ask: Ask, settings: dict[str, Any]) -> Answer:
    extra: dict[str, Any] = {}
    if settings.get("seed") is not None:
        extra["seed"] = settings["seed"]
    response = client.chat.completions.create(
        model=model,
        messages=ask.messages,  # type: ignore[arg-type]
        temperature=float(settings.get("temperature", 0.0)),
        max_tokens=int(settings.get("max_tokens", 512)),
        **extra,
    )
    choice = response.choices[0]
    return Answer(
        prompt_id=ask.prompt_id, text=choice.message.content or "", finish_reason=choice.finish_reason
    )


def ask_with_retries(
    client: OpenAI,
    model: str,
    ask: Ask,
    settings: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """One answer; rate limits, server errors and dropped connections are retried with exponential backoff."""
    retries = int(settings.get("retries", 4))
    backoff = float(settings.get("backoff_seconds", 1.0))
    attempt = 0
    while True:
        try:
            return _ask_once(client, model, ask, settings)
        except APIStatusError as exc:
            if exc.status_code not in RETRY_STATUSES or attempt >= retries:
                raise
            delay = _retry_after(exc) or backoff * 2**attempt
        except (APIConnectionError, APITimeoutError):
            if attempt >= retries:
                raise
            delay = backoff * 2**attempt
        attempt += 1
        sleep(min(delay, MAX_BACKOFF))


def generate_remote(
    target: Resolved, asks: list[Ask], settings: dict[str, Any], *, store: Store, tick: Tick
) -> None:
    """Ask the endpoint for every prompt, `concurrency` at a time, storing each answer as it comes back."""
    try:
        client = OpenAI(
            api_key=target.api_key, base_url=target.base_url, max_retries=0, timeout=REQUEST_TIMEOUT
        )
    except OpenAIError as exc:
        raise PairwiseError(
            f"candidate {target.label}: no API key (save one in Training settings, give one with the candidate, "
            "or set OPENAI_API_KEY for the worker)"
        ) from exc
    failures: list[str] = []
    secrets = [target.api_key]
    with ThreadPoolExecutor(max_workers=int(settings.get("concurrency", 4))) as pool:
        pending: set[Future[Answer]] = set()
        queue = list(reversed(asks))
        limit = int(settings.get("concurrency", 4))
        while queue or pending:
            while queue and len(pending) < limit:
                ask = queue.pop()
                pending.add(pool.submit(ask_with_retries, client, target.model, ask, settings))
            done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    store(future.result())
                except (APIStatusError, APIConnectionError, APITimeoutError) as exc:
                    failures.append(redact(f"{type(exc).__name__}: {exc}", secrets)[:500])
            try:
                tick()
            except BaseException:
                # Cancelled: let the requests in flight finish but start no new ones.
                queue.clear()
                raise
    if failures:
        raise GenerationError(
            f"candidate {target.label}: {len(failures)} of {len(asks)} answers failed after retries "
            f"(first: {failures[0]}); retry the job to ask only for the missing answers"
        )


def worker_command() -> list[str]:
    return [sys.executable, "-m", "app.evaluation.local_worker"]


def generate_local(
    target: Resolved, asks: list[Ask], settings: dict[str, Any], *, store: Store, tick: Tick
) -> None:
    """Generate with transformers in a child process (its memory and GPU are freed when it ends)."""
    config = {
        "model": target.model,
        "prompts": [{"id": a.prompt_id, "messages": a.messages} for a in asks],
        "temperature": settings.get("temperature", 0.0),
        "max_tokens": settings.get("max_tokens", 512),
        "seed": settings.get("seed"),
        "device": settings.get("device", "auto"),
    }
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    process = subprocess.Popen(
        worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env,
    )  # fmt: skip
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    stderr_lines: list[str] = []
    reader = threading.Thread(target=lambda: stderr_lines.extend(process.stderr or []), daemon=True)
    reader.start()
    try:
        process.stdin.write(json.dumps(config))
        process.stdin.close()
        for line in process.stdout:
            message = json.loads(line)
            if message.get("kind") == "answer":
                store(
                    Answer(
                        prompt_id=int(message["id"]),
                        text=str(message["text"]),
                        finish_reason=message.get("finish_reason"),
                    )
                )
                tick()
            elif message.get("kind") == "error":
                raise GenerationError(f"candidate {target.label}: {message.get('message')}")
        code = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    reader.join(timeout=5)
    if code != 0:
        tail = "".join(stderr_lines[-5:]).strip()[-1000:]
        raise GenerationError(f"candidate {target.label}: the generation process exited with {code}: {tail}")
