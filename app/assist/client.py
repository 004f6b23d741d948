"""A small client for the suggestion provider's chat completions, shared by every model-assisted feature.

`complete(config=..., messages=...)` sends one OpenAI-compatible `/chat/completions` request and returns
the first choice's text. Every failure is a `SuggestionProviderError` whose message says what went wrong
in words, with the key redacted; nothing is retried here (callers are jobs, which report and move on).
"""

from __future__ import annotations

from typing import Any

import httpx

from app.assist.provider import ProviderConfig
from app.errors import PairwiseError
from app.training.secrets import redact

DEFAULT_TIMEOUT_S = 60.0
MAX_ERROR_TEXT = 300


class SuggestionProviderError(PairwiseError):
    """The provider could not be reached or did not answer with a completion."""


def complete(
    *,
    config: ProviderConfig,
    messages: list[dict[str, str]],
    temperature: float = 0.0,
    max_tokens: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """The provider's reply text to `messages` (OpenAI chat roles: system, user, assistant)."""
    body: dict[str, Any] = {"model": config.model, "messages": messages, "temperature": temperature}
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    url = f"{config.base_url}/chat/completions"
    headers = {"Authorization": f"Bearer {config.api_key}"}
    try:
        with httpx.Client(timeout=timeout_s, transport=transport, follow_redirects=False) as client:
            response = client.post(url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise SuggestionProviderError(
            f"the suggestion provider at {config.base_url} did not answer in {timeout_s:.0f} s"
        ) from exc
    except httpx.HTTPError as exc:
        raise SuggestionProviderError(
            f"cannot reach the suggestion provider at {config.base_url}: {_clean(str(exc), config)}"
        ) from exc
    if response.status_code != 200:
        raise SuggestionProviderError(
            f"the suggestion provider answered HTTP {response.status_code}: {_clean(response.text, config)}"
        )
    try:
        text = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise SuggestionProviderError(
            "the suggestion provider's answer has no choices[0].message.content"
        ) from exc
    if not isinstance(text, str) or not text.strip():
        raise SuggestionProviderError("the suggestion provider returned an empty completion")
    return text.strip()


def _clean(text: str, config: ProviderConfig) -> str:
    return redact(" ".join(text.split()), [config.api_key])[:MAX_ERROR_TEXT]
