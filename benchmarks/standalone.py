"""Context-leak detector against the hand-labelled standalone set, tuning and held-out parts reported apart.

    python benchmarks/standalone.py [--data DIR] [--json] [--verbose]

benchmarks/data/standalone/tuning.jsonl was used while writing the detector; heldout.jsonl never was.
independent.jsonl (120 rows) was written later by a writer who had not read the detector, from the leak rules
alone; its dev two thirds (ids not divisible by 3) tuned leaks-2, its held-out third never did: both are
reported as ind-dev and ind-held, not gated. independent-2.jsonl (120 rows) came from a second such writer and is
reported the same way as ind2-dev and ind2-held; independent-3.jsonl (90 rows, a third writer) as ind3-dev and
ind3-held, neither part tuned on. A row counts as flagged when find_leaks returns any span. Also
reports how often the "make standalone" transform agrees with the hand label `fixable` (not gated). Exits 1 when precision or recall is under 0.9 on either part,
or when a part is missing, empty or has no positive or negative rows (nothing to measure).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.pairs.leaks import LEAK_DETECTOR_VERSION, find_leaks, make_standalone  # noqa: E402
from benchmarks.detection import Score  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "standalone"
PARTS = ("tuning", "heldout")
# Sets written by people who had not read the detector, each reported by its dev two thirds (ids not divisible by 3)
# and its held-out third.
INDEPENDENT = (
    ("independent.jsonl", "ind"),
    ("independent-2.jsonl", "ind2"),
    ("independent-3.jsonl", "ind3"),
    ("independent-4.jsonl", "ind4"),
)
TARGET = 0.9


@dataclass(slots=True)
class Result(Score):
    """Detection's confusion counts (precision, recall) plus the clean rows and the transform's agreement."""

    rows: int = 0
    tn: int = 0
    fix_agree: int = 0

    @property
    def measurable(self) -> bool:
        return self.tp + self.fn > 0 and self.fp + self.tn > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "transform_agrees_with_fixable": round(self.fix_agree / self.rows, 4) if self.rows else 0.0,
        }


def load(path: Path) -> list[dict[str, Any]]:
    """Labelled rows of one part; a bad line is an error naming the file and line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            missing = [f for f in ("answer", "followup", "prompt", "leak", "fixable") if f not in row]
            if missing:
                raise KeyError(", ".join(missing))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{number}: bad labelled row ({exc})") from exc
        rows.append(row)
    return rows


def evaluate(rows: list[dict[str, Any]], *, verbose: bool = False) -> Result:
    result = Result()
    for row in rows:
        result.rows += 1
        spans = find_leaks(answer=row["answer"], followup=row["followup"], prompt=row["prompt"])
        flagged, leak = bool(spans), bool(row["leak"])
        result.tp += flagged and leak
        result.fp += flagged and not leak
        result.fn += leak and not flagged
        result.tn += not flagged and not leak
        fixed = make_standalone(answer=row["answer"], followup=row["followup"], prompt=row["prompt"])
        result.fix_agree += (fixed is not None) == bool(row["fixable"])
        if verbose and (flagged != leak or (fixed is not None) != bool(row["fixable"])):
            print(
                f"{row.get('id')}: leak={leak} flagged={[s.text for s in spans]} fixed={fixed!r}",
                file=sys.stderr,
            )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print disagreements to stderr")
    args = parser.parse_args(argv)
    results: dict[str, Result] = {}
    for part in PARTS:
        path = args.data / f"{part}.jsonl"
        if not path.is_file():
            print(f"cannot measure: {path} is missing", file=sys.stderr)
            return 1
        results[part] = evaluate(load(path), verbose=args.verbose)
    reported: dict[str, Result] = {}
    for name, prefix in INDEPENDENT:
        independent = args.data / name
        if not independent.is_file():
            continue
        rows = load(independent)
        for part, held in ((f"{prefix}-dev", False), (f"{prefix}-held", True)):
            reported[part] = evaluate(
                [r for r in rows if (int(str(r["id"])[1:]) % 3 == 0) == held], verbose=args.verbose
            )
    report = {
        "detector": LEAK_DETECTOR_VERSION,
        **{p: r.as_dict() for p, r in results.items()},
        **{p: r.as_dict() for p, r in reported.items()},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"leak detector {LEAK_DETECTOR_VERSION}")
        for part, r in {**results, **reported}.items():
            print(
                f"  {part:8} rows={r.rows:3} precision={r.precision:.3f} recall={r.recall:.3f} "
                f"(tp={r.tp} fp={r.fp} fn={r.fn} tn={r.tn}) transform agrees with label: {r.fix_agree}/{r.rows}"
            )
    for part, r in results.items():
        if not r.measurable:
            print(f"cannot measure: {part} needs both leaky and clean rows", file=sys.stderr)
            return 1
        if r.precision < TARGET or r.recall < TARGET:
            print(f"{part}: below target {TARGET}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
