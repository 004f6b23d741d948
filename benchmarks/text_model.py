"""Fit the detector's text model (app/pairs/text_model.py) and measure it on conversations it never saw.

    python benchmarks/text_model.py measure [--leave-out MN] [--unseen FILE.jsonl ...]
    python benchmarks/text_model.py fit         # fit on every dev row, write app/pairs/text_model.json

Training rows are every (answer, reply, next answer) of the labelled sets' dev parts: the shared samples, our own
tuning set and the two thirds of each independent batch whose id is not divisible by 3
(tests/fixtures/detection/independent). The held-out thirds and our own held-out set are never fitted on.

`measure` leaves each independent batch (one writer's file, by its id letter) out of the fit in turn and scores its
rows with the model fitted on the other batches' dev rows: the figures are what the model does on a writer it never
read. The shift added to the model's log-odds before the two scores are averaged is chosen there, as the one with
the best F1 on the left-out batches' dev rows, and reported on their held-out thirds; `fit` writes SHIFT, the value
`measure` chose last. `--leave-out` keeps batches out of every fit (a new batch measured whole before it joins), and
they and the `--unseen` files are then scored by the model fitted on every other dev row.

Needs numpy (the dev extra). Exit status 0, or 2 when a labelled file is missing."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.pairs.detection import DEFAULT_THRESHOLD, MIN_STORED_SCORE, rules_pairs  # noqa: E402
from app.pairs.text_model import MODEL_PATH, Field, TextModel, blend, clip, clip_end, tokens  # noqa: E402

DETECTION = ROOT / "tests" / "fixtures" / "detection"
INDEPENDENT = DETECTION / "independent" / "conversations.jsonl"
SAMPLES = ROOT / "tests" / "fixtures" / "samples" / "convspec" / "samples.convspec.jsonl"
REPLY_LIMIT, REVISION_LIMIT = 200, 120
ANSWER_LIMIT = 150  # the end of the answer replied to
MIN_DF = 2
C = 10.0  # inverse L2 strength, as scikit-learn's LogisticRegression counts it
STEPS = 400
SHIFTS = tuple(round(0.25 * s, 2) for s in range(-8, 9))
VERSION = "text-2"
# The blend's shift `measure` chose on the left-out batches' dev rows (README, "The text model"); `fit` writes it.
# Since heuristic-18 `measure` prefers 1.0 by 0.001 of dev F1; 0.5 keeps precision on real files (README, "heuristic-18").
SHIFT = 0.5


@dataclass(slots=True)
class Row:
    batch: str  # the independent batch's id letter; "own" for the shared samples and our tuning set
    held: bool
    label: bool
    reply: str
    revision: str
    rules: float  # the rules' score, 0 when they store nothing
    answer: str  # the answer replied to


def _triples(turns: Sequence[tuple[str, str]]) -> list[int]:
    return [
        i
        for i in range(len(turns) - 2)
        if (turns[i][0], turns[i + 1][0], turns[i + 2][0]) == ("assistant", "user", "assistant")
    ]


def _rows(batch: str, held: bool, turns: list[tuple[str, str]], gold: set[int]) -> list[Row]:
    rules = {p.rejected: p.score for p in rules_pairs(turns)}
    return [
        Row(batch, held, i in gold, turns[i + 1][1], turns[i + 2][1], rules.get(i, 0.0), turns[i][1])
        for i in _triples(turns)
    ]


def writers_rows(path: Path, *, split: bool) -> list[Row]:
    """The rows of a writers' JSONL file (ids, messages, pairs by index); with `split`, the ids divisible by 3 held
    out, as the independent set splits them, else every row a dev row (a file measured whole)."""
    rows: list[Row] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            turns = [(m["role"], m["content"]) for m in record["messages"]]
            held = split and int(record["id"][1:]) % 3 == 0
            rows += _rows(record["id"][0], held, turns, {p["rejected"] for p in record["pairs"]})
    return rows


def load_rows() -> list[Row]:
    """The independent set's rows, then the shared samples' and our tuning set's (all dev rows, batch "own")."""
    rows = writers_rows(INDEPENDENT, split=True)
    with SAMPLES.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            turns = [(t["role"], t["text"]) for t in record["turns"]]
            rows += _rows("own", False, turns, {p["rejected"] for p in record["pairs"]})
    convspec = DETECTION / "tuning" / "convspec.jsonl"
    labels = DETECTION / "tuning" / "labels.jsonl"
    with convspec.open(encoding="utf-8") as f, labels.open(encoding="utf-8") as g:
        for spec_line, label_line in zip(f, g, strict=True):
            record, label = json.loads(spec_line), json.loads(label_line)
            turns = [(t["role"], t["text"]) for t in record["turns"]]
            texts = {_key(p["rejected"], p["pushback"], p["chosen"]) for p in label["pairs"]}
            gold = {i for i in _triples(turns) if _key(*(t for _, t in turns[i : i + 3])) in texts}
            rows += _rows("own", False, turns, gold)
    return rows


def _key(*texts: str) -> tuple[str, ...]:
    return tuple(" ".join(t.split()) for t in texts)


class Vectors:
    """One field's vocabulary (tokens in at least MIN_DF training rows), idf, and rows as CSR arrays; the field reads
    each text's first `limit` characters, or its last with `end`."""

    def __init__(self, texts: Sequence[str], limit: int, *, end: bool = False) -> None:
        self.limit, self.end = limit, end
        counted = [set(tokens(self.read(t))) for t in texts]
        df: dict[str, int] = {}
        for found in counted:
            for token in found:
                df[token] = df.get(token, 0) + 1
        kept = sorted(g for g, n in df.items() if n >= MIN_DF)
        self.index = {g: i for i, g in enumerate(kept)}
        self.idf = np.array([math.log((1 + len(texts)) / (1 + df[g])) + 1.0 for g in kept])

    def read(self, text: str) -> str:
        return clip_end(text, self.limit) if self.end else clip(text, self.limit)

    def matrix(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        indptr, indices, data = [0], [], []
        for text in texts:
            cols, vals = [], []
            for token in set(tokens(self.read(text))):
                j = self.index.get(token)
                if j is not None:
                    cols.append(j)
                    vals.append(self.idf[j])
            norm = math.sqrt(sum(v * v for v in vals)) or 1.0
            indices += cols
            data += [v / norm for v in vals]
            indptr.append(len(indices))
        return np.array(indptr), np.array(indices, dtype=np.int64), np.array(data)


def _fit_weights(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], widths: list[int], y: np.ndarray
) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression by full-batch Adam; returns weights over the stacked fields and the bias."""
    offsets = np.cumsum([0, *widths])
    rows_of = [np.repeat(np.arange(len(p[0]) - 1), np.diff(p[0])) for p in parts]
    cols = np.concatenate([p[1] + offsets[k] for k, p in enumerate(parts)])
    vals = np.concatenate([p[2] for p in parts])
    rows = np.concatenate(rows_of)
    n, dims = len(y), int(offsets[-1])
    positives = max(int(y.sum()), 1)
    weight = np.where(y == 1, n / (2 * positives), n / (2 * max(n - positives, 1)))
    w, b = np.zeros(dims), 0.0
    m, v, mb, vb = np.zeros(dims), np.zeros(dims), 0.0, 0.0
    rate, beta1, beta2 = 0.05, 0.9, 0.999
    for step in range(1, STEPS + 1):
        z = np.bincount(rows, weights=vals * w[cols], minlength=n) + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        g = weight * (p - y)
        grad = np.bincount(cols, weights=vals * g[rows], minlength=dims) + w / C
        grad_b = float(g.sum())
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        mb = beta1 * mb + (1 - beta1) * grad_b
        vb = beta2 * vb + (1 - beta2) * grad_b * grad_b
        correction = math.sqrt(1 - beta2**step) / (1 - beta1**step)
        w -= rate * correction * m / (np.sqrt(v) + 1e-8)
        b -= rate * correction * mb / (math.sqrt(vb) + 1e-8)
    return w, b


def fit(rows: Sequence[Row]) -> TextModel:
    texts = ([r.reply for r in rows], [r.revision for r in rows], [r.answer for r in rows])
    fields = (
        Vectors(texts[0], REPLY_LIMIT),
        Vectors(texts[1], REVISION_LIMIT),
        Vectors(texts[2], ANSWER_LIMIT, end=True),
    )
    y = np.array([1.0 if r.label else 0.0 for r in rows])
    widths = [len(vectors.index) for vectors in fields]
    w, b = _fit_weights([v.matrix(t) for v, t in zip(fields, texts, strict=True)], widths, y)
    starts = np.cumsum([0, *widths])

    def field(k: int) -> Field:
        vectors, weights = fields[k], w[starts[k] : starts[k + 1]]
        return Field(
            vectors.limit,
            {
                g: (round(float(vectors.idf[j]), 4), round(float(weights[j]), 4))
                for g, j in vectors.index.items()
            },
            vectors.end,
        )

    return TextModel(VERSION, field(0), field(1), field(2), round(b, 4), SHIFT)


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, found: bool, label: bool) -> None:
        self.tp += found and label
        self.fp += found and not label
        self.fn += label and not found

    def __str__(self) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        return f"precision {precision:.3f} recall {recall:.3f} (tp {self.tp}, fp {self.fp}, fn {self.fn})"

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0


def measure(rows: Sequence[Row], unseen: Sequence[Row]) -> None:
    batches = sorted({r.batch for r in rows if r.batch != "own"})
    scored: list[tuple[Row, float]] = []
    for batch in batches:
        model = fit([r for r in rows if not r.held and r.batch != batch])
        scored += [(r, model.log_odds(r.reply, r.revision, r.answer)) for r in rows if r.batch == batch]
    best = max(SHIFTS, key=lambda s: _counts([x for x in scored if not x[0].held], s).f1)
    print(f"leave-one-batch-out over {len(batches)} batches; shift chosen on their dev rows: {best}")
    for shift in SHIFTS:
        dev = _counts([x for x in scored if not x[0].held], shift)
        held = _counts([x for x in scored if x[0].held], shift)
        print(f"  shift {shift:+.2f}: dev F1 {dev.f1:.3f}, held-out {held}")
    for name, part in (
        ("dev", [x for x in scored if not x[0].held]),
        ("held-out", [x for x in scored if x[0].held]),
    ):
        rules, text = Counts(), Counts()
        for row, p in part:
            rules.add(row.rules >= DEFAULT_THRESHOLD, row.label)
            text.add(p >= 0.0, row.label)
        print(f"  {name:8s} rules {rules}")
        print(f"  {name:8s} model {text}")
        print(f"  {name:8s} both  {_counts(part, best)}")
    if unseen:
        model = fit([r for r in rows if not r.held])
        part = [(r, model.log_odds(r.reply, r.revision, r.answer)) for r in unseen]
        rules = Counts()
        for row, _ in part:
            rules.add(row.rules >= DEFAULT_THRESHOLD, row.label)
        print(f"unseen files ({len(unseen)} rows), model fitted on every dev row:")
        print(f"  rules {rules}")
        print(f"  both  {_counts(part, best)}")


def _counts(part: Sequence[tuple[Row, float]], shift: float) -> Counts:
    counts = Counts()
    for row, p in part:
        score = blend(row.rules, p, shift) if row.rules >= MIN_STORED_SCORE else row.rules
        counts.add(score >= DEFAULT_THRESHOLD, row.label)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("measure", "fit"))
    parser.add_argument(
        "--unseen", nargs="*", type=Path, default=[], help="writers' JSONL files never fitted on"
    )
    parser.add_argument(
        "--leave-out",
        default="",
        help="batch letters left out of every fit (a new batch measured whole before it joins)",
    )
    args = parser.parse_args(argv)
    if not INDEPENDENT.is_file():
        print(f"{INDEPENDENT}: missing", file=sys.stderr)
        return 2
    left_out = set(args.leave_out)
    everything = load_rows()
    rows = [r for r in everything if r.batch not in left_out]
    if args.command == "measure":
        unseen = [r for path in args.unseen for r in writers_rows(path, split=False)]
        measure(rows, unseen + [r for r in everything if r.batch in left_out])
        return 0
    model = fit([r for r in rows if not r.held])
    MODEL_PATH.write_text(json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
