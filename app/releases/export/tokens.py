"""Offline token counting (bpe-openai bundles the encodings), per-model limits and a training price table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import bpe_openai

DEFAULT_SFT_MODEL = "gpt-4o-mini-2024-07-18"
DEFAULT_DPO_MODEL = "gpt-4.1-mini-2025-04-14"

# Tokens per training example: longer examples are truncated by OpenAI. Prefix match, longest first.
DEFAULT_TOKEN_LIMIT = 65_536
TOKEN_LIMITS: dict[str, int] = {
    "gpt-4o-mini": 65_536,
    "gpt-4o": 65_536,
    "gpt-4.1": 65_536,
    "gpt-3.5-turbo": 16_385,
}


@dataclass(frozen=True, slots=True)
class TrainingPrice:
    usd_per_million: float


# An estimate only: OpenAI's published training prices per 1M tokens; they change, check before spending.
PRICES_AS_OF = "2025-06"
PRICES_SOURCE = "https://openai.com/api/pricing (training, per 1M tokens)"
TRAINING_PRICES: dict[str, TrainingPrice] = {
    "gpt-4o-mini": TrainingPrice(3.00),
    "gpt-4o": TrainingPrice(25.00),
    "gpt-4.1-nano": TrainingPrice(1.50),
    "gpt-4.1-mini": TrainingPrice(5.00),
    "gpt-4.1": TrainingPrice(25.00),
    "gpt-3.5-turbo": TrainingPrice(8.00),
}

# bpe-openai refuses one string of 1M+ characters (and 200k+ tokens); longer texts are counted in pieces.
_PIECE_CHARS = 100_000
# Characters of recent texts whose counts count_all remembers (per generation).
_MEMO_CHARS = 1_000_000


def base_model(model: str) -> str:
    """`ft:gpt-4o-mini-2024-07-18:org::id` -> `gpt-4o-mini-2024-07-18`: a fine-tune keeps its base's rules."""
    return model.split(":", 2)[1] if model.startswith("ft:") else model


def _lookup(table: Mapping[str, object], model: str) -> str | None:
    name = base_model(model)
    for prefix in sorted(table, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "-"):
            return prefix
    return None


def token_limit(model: str) -> int:
    key = _lookup(TOKEN_LIMITS, model)
    return TOKEN_LIMITS[key] if key else DEFAULT_TOKEN_LIMIT


def training_price(model: str) -> TrainingPrice | None:
    key = _lookup(TRAINING_PRICES, model)
    return TRAINING_PRICES[key] if key else None


def encoding_name(model: str) -> str:
    """o200k_base for the gpt-4o and gpt-4.1 families (and their fine-tunes), cl100k_base otherwise."""
    name = base_model(model)
    return "o200k_base" if name.startswith(("gpt-4o", "gpt-4.1", "o1", "o3", "o4")) else "cl100k_base"


@lru_cache(maxsize=4)
def get_encoding(name: str) -> bpe_openai.Encoding:
    return bpe_openai.get_encoding(name)


class TokenCounter:
    """Counts ordinary text: a literal "<|endoftext|>" in a transcript is text, not a special token."""

    def __init__(self, model: str) -> None:
        self.encoding_name = encoding_name(model)
        self._encoding = get_encoding(self.encoding_name)
        self._small: dict[str, int] = {}
        # count_all's memory of longer texts: at most about 2 x _MEMO_CHARS characters are held.
        self._recent: dict[str, int] = {}
        self._older: dict[str, int] = {}
        self._recent_chars = 0
        # The Rust backend counts without building a token list (~25% faster on 100k-pair releases);
        # the public encode_ordinary stays the fallback if a bpe-openai release drops it.
        backend_count = getattr(getattr(self._encoding, "_backend", None), "count", None)
        self._fast_count: Callable[[str], int] | None = backend_count if callable(backend_count) else None

    def count(self, text: str) -> int:
        """Tokens of one text."""
        if len(text) <= 16:
            # Roles and short texts repeat on every row; a dict beats the tokenizer round trip.
            cached = self._small.get(text)
            if cached is None:
                cached = self._small[text] = self._count(text)
            return cached
        return self._count(text)

    def count_all(self, texts: Sequence[str]) -> list[int]:
        """`count` of each text. Texts seen lately are counted once: a conversation's pairs share their
        prompt turns (and one pair's chosen answer can be the next pair's rejected one or prompt turn)."""
        small, recent, older = self._small, self._recent, self._older
        counts: list[int] = []
        for text in texts:
            if len(text) <= 16:
                cached = small.get(text)
                if cached is None:
                    cached = small[text] = self._count(text)
            else:
                cached = recent.get(text)
                if cached is None:
                    cached = older.get(text)
                    if cached is None:
                        cached = self._count(text)
                    recent[text] = cached
                    self._recent_chars += len(text)
                    if self._recent_chars > _MEMO_CHARS:
                        # Two generations: what was seen in the last stretch of rows stays known.
                        self._older, self._recent, self._recent_chars = recent, {}, 0
                        recent, older = self._recent, self._older
            counts.append(cached)
        return counts

    def _count(self, text: str) -> int:
        if len(text) <= _PIECE_CHARS:
            return self._count_piece(text)
        # Piece borders may split a word: exact enough to flag an example that is far over a limit.
        return sum(
            self._count_piece(text[start : start + _PIECE_CHARS])
            for start in range(0, len(text), _PIECE_CHARS)
        )

    def _count_piece(self, text: str) -> int:
        if self._fast_count is not None:
            try:
                return self._fast_count(text)
            except UnicodeEncodeError:
                pass  # lone surrogates: encode_ordinary replaces them first
        return len(self._encoding.encode_ordinary(text))

    def messages(self, messages: list[dict[str, str]]) -> int:
        """OpenAI cookbook estimate: 3 per message + its encoded values (+1 for `name`) + 3 per example."""
        total = 3
        for message in messages:
            total += 3
            for key, value in message.items():
                if isinstance(value, str):
                    total += self.count(value)
                if key == "name":
                    total += 1
        return total
