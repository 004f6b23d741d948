"""Pair detection against the labelled samples, next to the naive "the pushback contains 'but'" baseline.

    python benchmarks/detection.py [--samples DIR] [--json]

convspec is read directly (its turns are the ground truth); every folder under rendered/ is parsed with the
importers, and detected pairs are matched to rendered/labels.jsonl by their whitespace-normalized texts.
Also times detect_pairs over 10,000 synthetic 4-turn conversations (the samples' first four turns, cycled).
Exits with status 1 when our detector misses the product target (precision 0.95, recall 0.90) on any format.
"""

from __future__ import annotations

import argparse
import itertools
import json
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
TIMING_CONVERSATIONS = 10_000
TARGET_PRECISION, TARGET_RECALL = 0.95, 0.90
_BUT = re.compile(r"\bbut\b", re.IGNORECASE)

Turns = Sequence[tuple[str, str]]
Key = tuple[str, str, str]


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


def _norm(text: str) -> str:
    return " ".join(text.split())


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


def load_labels(samples: Path) -> set[Key]:
    with (samples / "rendered" / "labels.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {(_norm(r["rejected"]), _norm(r["pushback"]), _norm(r["chosen"])) for r in rows}


def convspec_conversations(samples: Path) -> list[list[tuple[str, str]]]:
    with (samples / "convspec" / "samples.convspec.jsonl").open(encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [[(t["role"], t["text"]) for t in r["turns"]] for r in records]


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


def time_detection(conversations: Sequence[Turns]) -> dict[str, float]:
    """detect_pairs over 10,000 4-turn conversations cut from the samples (realistic lengths)."""
    prefixes = [list(c[:4]) for c in conversations if len(c) >= 4]
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


def run(samples: Path) -> dict[str, Any]:
    labels = load_labels(samples)
    convspec = convspec_conversations(samples)
    parsed: dict[str, list[list[tuple[str, str]]]] = {"convspec": convspec}
    skipped: dict[str, str] = {}
    for fmt in RENDERED_FORMATS:
        try:
            parsed[fmt] = rendered_conversations(samples / "rendered" / fmt)
        except ImportError as exc:
            skipped[fmt] = f"importers not available ({exc})"
        except Exception as exc:  # a broken importer must not hide the other formats' figures
            skipped[fmt] = f"{type(exc).__name__}: {exc}"
    formats = {
        fmt: {"conversations": len(conversations)}
        | {name: score.as_dict() for name, score in evaluate(conversations, labels).items()}
        for fmt, conversations in parsed.items()
    }
    return {
        "detector": DETECTOR_VERSION,
        "threshold": DEFAULT_THRESHOLD,
        "labels": len(labels),
        "formats": formats,
        "skipped": skipped,
        "timing": time_detection(convspec),
    }


def meets_target(report: dict[str, Any]) -> bool:
    return all(
        f["ours"]["precision"] >= TARGET_PRECISION and f["ours"]["recall"] >= TARGET_RECALL
        for f in report["formats"].values()
    )


def print_table(report: dict[str, Any]) -> None:
    print(
        f"detector {report['detector']}, threshold {report['threshold']}, {report['labels']} labelled pairs\n"
    )
    columns = ("TP", "FP", "FN")
    header = f"{'format':<12} {'convs':>5}  {'detector':<9} " + " ".join(f"{c:>3}" for c in columns)
    header += f" {'precision':>9} {'recall':>6}"
    print(header)
    print("-" * len(header))
    for fmt, figures in report["formats"].items():
        for name in ("ours", "baseline"):
            s = figures[name]
            print(
                f"{fmt:<12} {figures['conversations']:>5}  {name:<9} {s['tp']:>3} {s['fp']:>3} {s['fn']:>3} "
                f"{s['precision']:>9.3f} {s['recall']:>6.3f}"
            )
    for fmt, reason in report["skipped"].items():
        print(f"{fmt:<12} skipped: {reason}")
    timing = report["timing"]
    print(
        f"\ndetect_pairs, {timing['conversations']:,} conversations of 4 turns: "
        f"{timing['cpu_seconds']:.3f} s CPU, {timing['wall_seconds']:.3f} s wall "
        f"({timing['us_per_conversation']} µs CPU each)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=ROOT / "tests" / "fixtures" / "samples")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = run(args.samples)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0 if meets_target(report) else 1


if __name__ == "__main__":
    sys.exit(main())
