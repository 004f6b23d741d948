"""Train/validation assignment by prompt group: decided per row from a seeded hash, no shuffle in memory.

Every pair whose normalized prompt is the same lands in the same split, so no prompt is in both. The
fraction is met on average (each group is a coin flip weighted by `fraction`), not exactly.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from hashlib import blake2b

from app.errors import ValidationFailedError

TRAIN = "train"
VALIDATION = "validation"
_SCALE = float(1 << 64)


def normalize_text(text: str) -> str:
    """Case, Unicode compatibility forms and whitespace runs do not make a different prompt."""
    if text.isascii():
        # NFKC leaves ASCII alone and casefold() is lower() there; text whose only whitespace is single
        # inner spaces is already split-and-joined, which saves most of the time on long answers.
        folded = text.lower()
        if (
            "  " in folded
            or "\n" in folded
            or "\t" in folded
            or "\r" in folded
            or "\x0b" in folded
            or "\x0c" in folded
            or "\x1c" in folded
            or "\x1d" in folded
            or "\x1e" in folded
            or "\x1f" in folded
            or folded[:1] == " "
            or folded[-1:] == " "
        ):
            return " ".join(folded.split())
        return folded
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def prompt_group(messages: Sequence[dict[str, str]]) -> bytes:
    """A 16-byte key of the conversation turns of a prompt; system messages are left out on purpose, so a
    release-wide or per-source system prompt cannot separate two copies of the same question."""
    key = "\x1e".join(
        [f"{m['role']}\x1f{normalize_text(m['content'])}" for m in messages if m["role"] != "system"]
    )
    return blake2b(key.encode(), digest_size=16).digest()


def check_fraction(fraction: float) -> None:
    if not 0.0 <= fraction < 1.0:
        raise ValidationFailedError(f"the validation fraction must be at least 0 and below 1, not {fraction}")


def assign_split(group: bytes, *, fraction: float, seed: int) -> str:
    """`validation` for about `fraction` of the groups; another seed picks other groups."""
    return splitter(fraction=fraction, seed=seed)(group)


def splitter(*, fraction: float, seed: int) -> Callable[[bytes], str]:
    """`assign_split` with the fraction and seed bound once: the key is derived once per export."""
    if fraction <= 0.0:
        return lambda _group: TRAIN
    key = seed.to_bytes(16, "big", signed=True)
    from_bytes = int.from_bytes

    def assign(group: bytes) -> str:
        digest = blake2b(group, digest_size=8, key=key).digest()
        return VALIDATION if from_bytes(digest, "big") / _SCALE < fraction else TRAIN

    return assign
