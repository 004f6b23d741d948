"""A small logistic regression over the detector's signals, fitted to an installation's own verdicts.

Pure: no database. Features are the signal names the rule-based detector stores with every pair (one 0/1
column each), so a model can score any stored pair without re-reading its texts. Hand-rolled (batch gradient
descent with L2) because a few hundred rows and ~40 columns do not justify scikit-learn as a dependency;
minimising log-loss keeps the probabilities calibrated on the data it saw.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.pairs.cues import ACCEPTANCE_CUES, PUSHBACK_CUES, REVISION_CUES

# Every signal detect_pairs can emit: the cue families plus the features computed around them.
DERIVED_SIGNALS = (
    "long-paste",
    "code-failure",
    "quotes-answer",
    "states-problem",
    "asks-about-failure",
    "objects",
    "asks-new-work",
    "asks",
    "chosen-expands",
    "chosen-too-short",
    "chosen-new-code",
    "chosen-drops-code",
    "chosen-restates",
    "rejected-is-question",
    "chosen-is-question",
    "chosen-concedes-nothing",
    "person-grants-revision",
    "model-agrees",
    "model-doubts",
    "clarified",
)
FEATURES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [c.name for c in (*PUSHBACK_CUES, *ACCEPTANCE_CUES, *REVISION_CUES)] + list(DERIVED_SIGNALS)
    )
)
HELD_BACK_PERCENT = 20  # verdicts kept out of training to measure the model on


@dataclass(frozen=True, slots=True)
class Metrics:
    precision: float
    recall: float
    tp: int
    fp: int
    fn: int


@dataclass(slots=True)
class ScoreModel:
    """Weights per signal name and a bias; `predict` is the probability that a pair is real."""

    version: str
    bias: float
    weights: dict[str, float] = field(default_factory=dict)

    def predict(self, signals: Sequence[str]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) for name in signals)
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def held_back(pair_id: int) -> bool:
    """Whether a pair's verdict is kept out of training: fixed per pair, about HELD_BACK_PERCENT of them."""
    return hashlib.sha256(f"pair:{pair_id}".encode()).digest()[0] * 100 < HELD_BACK_PERCENT * 256


def split_signals(stored: str) -> list[str]:
    """Signal names from a pair's comma-joined `signals` column."""
    return [s for s in stored.split(",") if s]


def fit(
    rows: Sequence[tuple[Sequence[str], int]],
    *,
    version: str,
    l2: float = 0.5,
    iterations: int = 400,
    rate: float = 0.5,
) -> ScoreModel:
    """Fit on (signals, label) rows, label 1 = a real pair; weights only for known FEATURES."""
    index = {name: i for i, name in enumerate(FEATURES)}
    columns = [[index[s] for s in signals if s in index] for signals, _ in rows]
    labels = [label for _, label in rows]
    n = len(rows)
    if n == 0:
        raise ValueError("no rows to fit")
    weights = [0.0] * len(FEATURES)
    positives = sum(labels)
    bias = math.log((positives + 0.5) / (n - positives + 0.5))
    for _ in range(iterations):
        grad_w = [0.0] * len(FEATURES)
        grad_b = 0.0
        for cols, label in zip(columns, labels, strict=True):
            z = bias + sum(weights[c] for c in cols)
            error = 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z)))) - label
            grad_b += error
            for c in cols:
                grad_w[c] += error
        bias -= rate * grad_b / n
        weights = [w - rate * (g / n + l2 * w / n) for w, g in zip(weights, grad_w, strict=True)]
    return ScoreModel(
        version=version,
        bias=round(bias, 6),
        weights={name: round(w, 6) for name, w in zip(FEATURES, weights, strict=True) if w},
    )


def measure(model: ScoreModel, rows: Sequence[tuple[Sequence[str], int]], *, threshold: float) -> Metrics:
    """Precision and recall of `model` at `threshold` on (signals, label) rows."""
    tp = fp = fn = 0
    for signals, label in rows:
        predicted = model.predict(signals) >= threshold
        tp += predicted and label == 1
        fp += predicted and label == 0
        fn += not predicted and label == 1
    return Metrics(
        precision=round(tp / (tp + fp), 4) if tp + fp else 0.0,
        recall=round(tp / (tp + fn), 4) if tp + fn else 0.0,
        tp=tp,
        fp=fp,
        fn=fn,
    )
