"""The detector's second reader: a logistic regression over the words of a reply, of the answer after it and of the
end of the answer before it, fitted to hand-labelled conversations (benchmarks/text_model.py fits it and measures it).

The rules in app.pairs.detection read cues that someone wrote down; this model reads the opening of the reply and
of the revision, and the last words of the answer replied to (an answer that ends on a question or an offer is
mostly answered, not pushed back on), as words and word pairs (character pairs in scripts without spaces), so it
scores phrasings nobody wrote a rule for. Measured on batches of conversations the model never saw (each left out of the fit in turn), the mean of
the two scores finds more real pairs and fewer false ones than either alone (README, "The text model").

Pure Python and deterministic: the weights are a JSON file beside this module, read once, on first use.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

MODEL_PATH = Path(__file__).with_name("text_model.json")
# Words and punctuation marks, one a token.
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Scripts written without spaces between words (Chinese, Japanese, Korean's Hangul too, which has spaces but long
# runs of particles): a run of them is read as its character pairs.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def clip(text: str, limit: int) -> str:
    """The text as the model reads it: lower case, runs of white space as one space, its first `limit`
    characters."""
    return " ".join(text[: limit * 4].lower().split())[:limit]


def clip_end(text: str, limit: int) -> str:
    """`clip` from the other end: the text's last `limit` characters."""
    return " ".join(text[-limit * 4 :].lower().split())[-limit:]


def words(text: str) -> list[str]:
    """The text's words and punctuation marks, a run of an unspaced script as its character pairs."""
    found = _TOKEN.findall(text)
    if _UNSPACED.search(text) is None:
        return found
    return [
        piece
        for word in found
        for piece in (
            [word[i : i + 2] for i in range(max(len(word) - 1, 1))]
            if _UNSPACED.search(word) is not None
            else [word]
        )
    ]


def tokens(text: str) -> list[str]:
    """The text's `words`, then each two neighbours joined by a space: the features the model is fitted on."""
    found = words(text)
    return [*found, *map(" ".join, itertools.pairwise(found))]


@dataclass(frozen=True, slots=True)
class Field:
    """One text the model reads: how much of it (its first `limit` characters, or its last with `end`), and each
    known token's idf and weight."""

    limit: int
    weights: dict[str, tuple[float, float]]  # token: (idf, weight), as fitted and saved
    end: bool = False
    # What a known word, and a known pair of neighbours (by its first word, then its second), adds to the dot
    # product and to the squared norm, worked out once: a pair is looked up without joining the two into a string.
    _terms: dict[str, tuple[float, float]] = field(init=False, repr=False, compare=False)
    _pairs: dict[str, dict[str, tuple[float, float]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        terms: dict[str, tuple[float, float]] = {}
        pairs: dict[str, dict[str, tuple[float, float]]] = {}
        for token, (idf, weight) in self.weights.items():
            term = (idf * weight, idf * idf)
            first, space, second = token.partition(" ")
            if space:
                pairs.setdefault(first, {})[second] = term
            else:
                terms[token] = term
        object.__setattr__(self, "_terms", terms)
        object.__setattr__(self, "_pairs", pairs)

    def score(self, text: str) -> float:
        """The weights' dot product with the text's tf-idf vector (a token counts once however often it
        occurs), L2-normalized over the known tokens."""
        found = words(self.read(text))
        terms, pairs = self._terms, self._pairs
        known = {word: term for word in found if (term := terms.get(word)) is not None}
        for first, second in itertools.pairwise(found):
            following = pairs.get(first)
            if following is not None and (term := following.get(second)) is not None:
                known[f"{first} {second}"] = term
        dot = norm = 0.0
        for weighted, squared in known.values():
            dot += weighted
            norm += squared
        return dot / math.sqrt(norm) if norm else 0.0

    def read(self, text: str) -> str:
        """The part of the text this field reads."""
        return clip_end(text, self.limit) if self.end else clip(text, self.limit)


@dataclass(frozen=True, slots=True)
class TextModel:
    version: str
    reply: Field
    revision: Field
    answer: Field  # the end of the answer replied to
    bias: float
    # Added to the model's log-odds before the blend (chosen on batches left out of the fit).
    shift: float = 0.0

    def log_odds(self, reply: str, revision: str, answer: str) -> float:
        """How likely the reply pushes back on `answer` and `revision` revises it, as log-odds (fitted on balanced
        classes: 0 is even)."""
        return self.bias + self.reply.score(reply) + self.revision.score(revision) + self.answer.score(answer)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "bias": self.bias,
            "shift": self.shift,
            "fields": {
                name: {
                    "limit": part.limit,
                    "end": part.end,
                    "tokens": {t: list(v) for t, v in sorted(part.weights.items())},
                }
                for name, part in (
                    ("reply", self.reply),
                    ("revision", self.revision),
                    ("answer", self.answer),
                )
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TextModel:
        fields = data["fields"]

        def part(name: str) -> Field:
            raw = fields[name]
            return Field(
                int(raw["limit"]),
                {t: (float(v[0]), float(v[1])) for t, v in raw["tokens"].items()},
                bool(raw.get("end", False)),
            )

        return cls(
            str(data["version"]),
            part("reply"),
            part("revision"),
            part("answer"),
            float(data["bias"]),
            float(data.get("shift", 0.0)),
        )

    def probability(self, reply: str, revision: str, answer: str) -> float:
        """The model's probability that the reply pushes back and the revision revises, its log-odds moved by
        `shift`: what the detector averages with the rules' score."""
        return _sigmoid(self.log_odds(reply, revision, answer) + self.shift)

    def blend(self, rules: float, reply: str, revision: str, answer: str) -> float:
        """The detector's score of a triple the rules scored `rules`."""
        return mean_score(rules, self.probability(reply, revision, answer))


def mean_score(rules: float, probability: float) -> float:
    """The mean of the rules' score (at most 1) and the model's probability."""
    return (min(rules, 1.0) + probability) / 2


def blend(rules: float, log_odds: float, shift: float) -> float:
    """`TextModel.blend` from the model's log-odds (benchmarks/text_model.py scores rows with models it fits)."""
    return mean_score(rules, _sigmoid(log_odds + shift))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@cache
def text_model() -> TextModel:
    """The shipped model (read once per process)."""
    return TextModel.from_json(orjson.loads(MODEL_PATH.read_bytes()))
