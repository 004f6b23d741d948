"""The pairs of one parsed conversation before it is stored: detected or stated, with leaks and content keys.

Pure functions over texts, and light to import: an import's worker processes run them next to the parsers,
so the process that writes to the database only turns findings into rows (app.pairs.service).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.conversations.importers.base import ParsedConversation, PickledByFields
from app.pairs.detection import DetectedPair, detect_pairs
from app.pairs.leaks import leak_fields, prompt_text


@dataclass(frozen=True, slots=True)
class PairFinding(PickledByFields):
    """A pair as turn indices; `detected` is the detector's result, None when the source stated the pair.

    `leaks` holds the pair's leak columns (app.pairs.leaks.leak_fields) and `content_key` its identity.
    """

    rejected: int
    pushback: int | None
    chosen: int
    detected: DetectedPair | None
    leaks: dict[str, Any]
    content_key: str


def content_key(prompt: str, rejected: str, chosen: str) -> str:
    """The identity of a pair across exports: its texts with whitespace normalized (every run of whitespace
    one space, none at the ends), hashed."""
    parts = (" ".join(text.split()) for text in (prompt, rejected, chosen))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def key_of(conversation: ParsedConversation, rejected: int, chosen: int) -> str:
    turns = conversation.turns
    prompt = turns[rejected - 1].text if rejected > 0 else ""
    return content_key(prompt, turns[rejected].text, turns[chosen].text)


def pair_leaks(
    turns: Sequence[tuple[str, str]], rejected: int, pushback: int | None, chosen: int
) -> dict[str, Any]:
    """The leak columns of a pair: does its revised answer lean on the follow-up?"""
    return leak_fields(
        answer=turns[chosen][1],
        followup=turns[pushback][1] if pushback is not None else None,
        prompt=prompt_text(turns, end=rejected - 1),
    )


def find_pairs(conversation: ParsedConversation) -> list[PairFinding]:
    """The pairs the source states (preference files), or else those the detector finds."""
    turns = [(t.role, t.text) for t in conversation.turns]
    if conversation.explicit_pairs is not None:
        return [
            PairFinding(
                p.rejected,
                p.pushback,
                p.chosen,
                None,
                pair_leaks(turns, p.rejected, p.pushback, p.chosen),
                key_of(conversation, p.rejected, p.chosen),
            )
            for p in conversation.explicit_pairs
        ]
    return [
        PairFinding(
            d.rejected,
            d.pushback,
            d.chosen,
            d,
            pair_leaks(turns, d.rejected, d.pushback, d.chosen),
            key_of(conversation, d.rejected, d.chosen),
        )
        for d in detect_pairs(turns, acting=acting(conversation.turns))
    ]


def acting(turns: Sequence[Any]) -> frozenset[int]:
    """The indices of answers that call tools (ParsedTurns or stored turns: anything with `role` and `blocks`)."""
    return frozenset(
        index
        for index, turn in enumerate(turns)
        if turn.role == "assistant" and any(block.get("type") == "tool_use" for block in turn.blocks or ())
    )
