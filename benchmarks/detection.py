"""Pair detection on labelled sets, per import format, next to the naive "the pushback contains 'but'" baseline.

    python benchmarks/detection.py [--json] [--samples DIR] [--detection DIR]

Three sets, reported separately:
    samples   tests/fixtures/samples: the 24 conversations the first cue table was written against
    tuning    tests/fixtures/detection/tuning: two thirds of our own hand-written set, used for tuning
    heldout   tests/fixtures/detection/heldout: the other third, never used for tuning: the target is met here
    ind-dev, ind-held   tests/fixtures/detection/independent: 315 conversations in four batches written later
              by six writers who had not read the detector, in other voices and about twenty languages; dev (two
              thirds) tuned heuristic-3, -4 and -5, ind-held never did (reported, not a target)
Each set is measured on its convspec (ground-truth turns) and on every rendered/<format>/ folder parsed with the
importers; detected pairs are matched to the labels by whitespace-normalized texts. A queue (pairs at or above
the threshold, best score first) is built from each of our sets and its top 20% checked for long pastes and
praise. detect_pairs is timed over 10,000 4-turn conversations.

Exit status: 0 when the targets hold; 1 when a target is missed (precision 0.95 and recall 0.90 on every held-out
format, no paste or praise in the held-out queue's top 20%, under 100 µs per conversation); 2 when something
cannot be measured (a folder or label file missing, an importer crashing or parsing a different number of
conversations than the set has): a benchmark that cannot measure must not pass.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.pairs.detection import DEFAULT_THRESHOLD, DETECTOR_VERSION, detect_pairs  # noqa: E402

RENDERED_FORMATS = ("openai", "sharegpt", "chatgpt", "anthropic", "claude-code", "markdown")
OWN_SETS = ("tuning", "heldout")
# A second set, written later by writers who had not read the detector (independent/LABELLING.md): its dev
# two thirds tuned heuristic-3, -4 and -5, its held-out third never did. Reported, not a target.
INDEPENDENT_SETS = (("dev", "ind-dev"), ("heldout", "ind-held"))
TIMING_CONVERSATIONS = 10_000
TARGET_PRECISION, TARGET_RECALL, TARGET_US = 0.95, 0.90, 100.0
TARGET_SET = "heldout"
QUEUE_TOP = 0.2
KEPT_OUT_OF_QUEUE_TOP = ("paste", "praise")  # kinds that must not reach the top of the queue
_BUT = re.compile(r"\bbut\b", re.IGNORECASE)

Turns = Sequence[tuple[str, str]]
Key = tuple[str, str, str]


class CannotMeasure(Exception):
    """A set could not be read or parsed completely: the benchmark has no figure to report."""


@dataclass(slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


@dataclass(slots=True)
class LabelledSet:
    """Ground-truth conversations, their pairs by text, and the kind of conversation each pushback is from."""

    name: str
    folder: Path
    convspec: list[list[tuple[str, str]]]
    labels: set[Key]
    kinds: dict[str, str]


# Claude Code's reader drops the mark of a stopped response and keeps what the person typed after it: a labelled
# text that holds the mark matches its rendering without it.
_INTERRUPTED = "[Request interrupted by user]"
# A message that ends with a horizontal rule ("...\n\n---", after a pasted document or a letter's signature)
# loses it in a Markdown transcript, where the same line separates messages: the rule is no content.
_RULE = "---"


def _norm(text: str) -> str:
    return " ".join(text.removeprefix(_INTERRUPTED).split()).removesuffix(_RULE).rstrip()


def ours(turns: Turns) -> list[tuple[int, int, int]]:
    return [(p.rejected, p.pushback, p.chosen) for p in detect_pairs(turns) if p.score >= DEFAULT_THRESHOLD]


def baseline(turns: Turns) -> list[tuple[int, int, int]]:
    """Every assistant-user-assistant triple whose user turn contains the word 'but'."""
    return [
        (i, i + 1, i + 2)
        for i in range(len(turns) - 2)
        if (turns[i][0], turns[i + 1][0], turns[i + 2][0]) == ("assistant", "user", "assistant")
        and _BUT.search(turns[i + 1][1])
    ]


def evaluate(conversations: Iterable[Turns], labels: set[Key]) -> dict[str, Score]:
    """Match each detector's pairs to the labels by text; labels never detected are false negatives."""
    found: dict[str, set[Key]] = {"ours": set(), "baseline": set()}
    scores = {name: Score() for name in found}
    for turns in conversations:
        for name, detector in (("ours", ours), ("baseline", baseline)):
            for rejected, pushback, chosen in detector(turns):
                key = (_norm(turns[rejected][1]), _norm(turns[pushback][1]), _norm(turns[chosen][1]))
                if key in labels:
                    found[name].add(key)
                else:
                    scores[name].fp += 1
    for name, score in scores.items():
        score.tp = len(found[name])
        score.fn = len(labels - found[name])
    return scores


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise CannotMeasure(f"{path}: missing")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_samples(samples: Path) -> LabelledSet:
    """The original samples: convspec turns, labels as texts in rendered/labels.jsonl."""
    records = _read_jsonl(samples / "convspec" / "samples.convspec.jsonl")
    rows = _read_jsonl(samples / "rendered" / "labels.jsonl")
    labels = {(_norm(r["rejected"]), _norm(r["pushback"]), _norm(r["chosen"])) for r in rows}
    convspec = [[(t["role"], t["text"]) for t in r["turns"]] for r in records]
    return LabelledSet("samples", samples / "rendered", convspec, labels, {})


def load_own(folder: Path, name: str | None = None) -> LabelledSet:
    """One folder of our set: convspec.jsonl, labels.jsonl (kind and pairs per conversation), rendered/."""
    records = _read_jsonl(folder / "convspec.jsonl")
    rows = _read_jsonl(folder / "labels.jsonl")
    if len(rows) != len(records):
        raise CannotMeasure(f"{folder}: {len(records)} conversations but {len(rows)} label rows")
    labels = {
        (_norm(p["rejected"]), _norm(p["pushback"]), _norm(p["chosen"])) for row in rows for p in row["pairs"]
    }
    kinds = {
        _norm(turn["text"]): record["kind"]
        for record in records
        for index, turn in enumerate(record["turns"])
        if index >= 2 and turn["role"] == "user"
    }
    convspec = [[(t["role"], t["text"]) for t in r["turns"]] for r in records]
    return LabelledSet(name or folder.name, folder / "rendered", convspec, labels, kinds)


def rendered_conversations(folder: Path) -> list[list[tuple[str, str]]]:
    """Parse every file of one format folder with the importer that format detection picks."""
    from app.conversations.importers import detect_format, get_importer
    from app.conversations.importers.base import ParsedConversation

    conversations: list[list[tuple[str, str]]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        with path.open("rb") as f:
            fmt = detect_format(f.read(64 * 1024), path.name) or folder.name
        with path.open("rb") as f:
            for item in get_importer(fmt).parse(f, path.name):
                if isinstance(item, ParsedConversation):
                    conversations.append([(t.role, t.text) for t in item.turns])
    return conversations


def parse_formats(labelled: LabelledSet) -> dict[str, list[list[tuple[str, str]]]]:
    """convspec plus every rendered format; any importer failure or short parse is CannotMeasure."""
    parsed = {"convspec": labelled.convspec}
    for fmt in RENDERED_FORMATS:
        folder = labelled.folder / fmt
        if not folder.is_dir():
            raise CannotMeasure(f"{folder}: missing")
        try:
            conversations = rendered_conversations(folder)
        except Exception as exc:  # the figure for this format does not exist: say why, never skip it
            raise CannotMeasure(
                f"{labelled.name}/{fmt}: importer failed: {type(exc).__name__}: {exc}"
            ) from exc
        if len(conversations) != len(labelled.convspec):
            raise CannotMeasure(
                f"{labelled.name}/{fmt}: parsed {len(conversations)} conversations, "
                f"the set has {len(labelled.convspec)}"
            )
        parsed[fmt] = conversations
    return parsed


def queue_top(labelled: LabelledSet) -> dict[str, Any]:
    """The top 20% of the queue built from the set's convspec, counted by the kind of conversation."""
    queue: list[tuple[float, str]] = []
    for turns in labelled.convspec:
        for p in detect_pairs(turns):
            if p.score >= DEFAULT_THRESHOLD:
                queue.append((p.score, labelled.kinds.get(_norm(turns[p.pushback][1]), "unknown")))
    queue.sort(key=lambda item: -item[0])
    top = queue[: math.ceil(len(queue) * QUEUE_TOP)]
    kinds: dict[str, int] = {}
    for _, kind in top:
        kinds[kind] = kinds.get(kind, 0) + 1
    unwanted = sum(kinds.get(kind, 0) for kind in KEPT_OUT_OF_QUEUE_TOP)
    return {"queued": len(queue), "top": len(top), "kinds": kinds, "paste_or_praise": unwanted}


def time_detection(conversations: Sequence[Turns]) -> dict[str, float]:
    """detect_pairs over 10,000 4-turn conversations cut from the sets (realistic lengths)."""
    prefixes = [list(c[:4]) for c in conversations if len(c) >= 4]
    if not prefixes:
        raise CannotMeasure("no conversation of 4 turns to time")
    batch = list(itertools.islice(itertools.cycle(prefixes), TIMING_CONVERSATIONS))
    wall, cpu = time.perf_counter(), time.process_time()
    for turns in batch:
        detect_pairs(turns)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "conversations": len(batch),
        "wall_seconds": round(wall, 4),
        "cpu_seconds": round(cpu, 4),
        "us_per_conversation": round(cpu / len(batch) * 1e6, 1),
    }


def run(samples: Path, detection: Path) -> dict[str, Any]:
    sets = [load_samples(samples)] + [load_own(detection / name) for name in OWN_SETS]
    sets += [load_own(detection / "independent" / split, name) for split, name in INDEPENDENT_SETS]
    report: dict[str, Any] = {"detector": DETECTOR_VERSION, "threshold": DEFAULT_THRESHOLD, "sets": {}}
    for labelled in sets:
        formats = {
            fmt: {"conversations": len(conversations)}
            | {name: score.as_dict() for name, score in evaluate(conversations, labelled.labels).items()}
            for fmt, conversations in parse_formats(labelled).items()
        }
        entry: dict[str, Any] = {"labels": len(labelled.labels), "formats": formats}
        if labelled.kinds:
            entry["queue"] = queue_top(labelled)
        report["sets"][labelled.name] = entry
    report["timing"] = time_detection([c for s in sets for c in s.convspec])
    return report


def misses(report: dict[str, Any]) -> list[str]:
    """Every target the report misses, in words; empty when all hold."""
    missed = []
    target = report["sets"][TARGET_SET]
    for fmt, figures in target["formats"].items():
        s = figures["ours"]
        if s["precision"] < TARGET_PRECISION or s["recall"] < TARGET_RECALL:
            missed.append(f"{TARGET_SET}/{fmt}: precision {s['precision']:.3f}, recall {s['recall']:.3f}")
    if target["queue"]["paste_or_praise"]:
        missed.append(
            f"{TARGET_SET} queue: {target['queue']['paste_or_praise']} paste/praise pairs in the top 20%"
        )
    if report["timing"]["us_per_conversation"] >= TARGET_US:
        missed.append(f"detection costs {report['timing']['us_per_conversation']} µs per conversation")
    return missed


def print_table(report: dict[str, Any]) -> None:
    print(f"detector {report['detector']}, threshold {report['threshold']}\n")
    header = f"{'set':<9} {'format':<12} {'convs':>5}  {'detector':<9} {'TP':>3} {'FP':>3} {'FN':>3}"
    header += f" {'precision':>9} {'recall':>6}"
    print(header)
    print("-" * len(header))
    for set_name, entry in report["sets"].items():
        for fmt, figures in entry["formats"].items():
            for name in ("ours", "baseline"):
                s = figures[name]
                print(
                    f"{set_name:<9} {fmt:<12} {figures['conversations']:>5}  {name:<9} {s['tp']:>3} {s['fp']:>3} "
                    f"{s['fn']:>3} {s['precision']:>9.3f} {s['recall']:>6.3f}"
                )
    for set_name, entry in report["sets"].items():
        if "queue" in entry:
            q = entry["queue"]
            print(f"\n{set_name} queue: {q['queued']} pairs at/above threshold, top {q['top']}: {q['kinds']}")
    timing = report["timing"]
    print(
        f"\ndetect_pairs, {timing['conversations']:,} conversations of 4 turns: "
        f"{timing['cpu_seconds']:.3f} s CPU, {timing['wall_seconds']:.3f} s wall "
        f"({timing['us_per_conversation']} µs CPU each)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=Path, default=ROOT / "tests" / "fixtures" / "samples")
    parser.add_argument("--detection", type=Path, default=ROOT / "tests" / "fixtures" / "detection")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        report = run(args.samples, args.detection)
    except CannotMeasure as exc:
        print(f"cannot measure: {exc}", file=sys.stderr)
        return 2
    missed = misses(report)
    report["missed"] = missed
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
        for line in missed:
            print(f"MISSED {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
