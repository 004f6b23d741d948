"""Pair detection on real files someone labelled: precision and recall at the review threshold.

    python benchmarks/real_files.py LABELS.jsonl [--root DIR] [--threshold 0.5] [--verbose]

The files are yours (exports your team holds, files fetched for a study) and stay where they are: the labels name
them. Each line of LABELS.jsonl labels one conversation the importer stores from a file:

    {"file": "agents/session.md", "conversation": 1, "turns_right": true,
     "pairs": [[rejected, pushback, chosen], ...], "unsure": [[...], ...]}

`file` is relative to --root (default: the labels file's folder); `conversation` counts from 1 in the order the
importer yields them; indices are the stored turns' (0-based), as `pairwise import` stores them. `pairs` are every pair
a careful person marks, `unsure` those one could argue either way (a detected one counts neither way). A conversation
whose stored turns are wrong in a way that changes what a pair is (`turns_right: false`) is left out of the figures.

Each file is read with the import readers and the detector of this checkout, so after a reader change the indices a
label names may point elsewhere: the run then stops (exit 2) at the first labelled triple that is not assistant, user,
assistant. This is how README.md's real-file figures for heuristic-18 were measured (the twelfth and thirteenth
fetches: labels written before the detector was run on them). Exit status 0, or 2 when a file, a conversation or a
labelled triple cannot be found.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.conversations.files import InputFile  # noqa: E402
from app.conversations.importers.base import ParsedConversation  # noqa: E402
from app.conversations.reading import FileRead, read_file  # noqa: E402
from app.pairs.detection import DEFAULT_THRESHOLD, detect_pairs  # noqa: E402
from app.pairs.findings import acting  # noqa: E402
from benchmarks.detection import Score  # noqa: E402

Triple = tuple[int, int, int]


class CannotMeasure(Exception):
    """A label that names no file, conversation or answer/reply/answer triple the importer stores."""


@dataclass(slots=True)
class Tally:
    score: Score = field(
        default_factory=Score
    )  # the labelled sets' counts and figures (benchmarks/detection.py)
    unsure_found: int = 0
    conversations: int = 0
    skipped: int = 0  # labelled with turns_right false
    false: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


def _conversations(path: Path) -> list[ParsedConversation]:
    if not path.is_file():
        raise CannotMeasure(f"{path}: no such file")
    item = InputFile(name=path.name, size=path.stat().st_size, opener=lambda: path.open("rb"))
    return [
        result
        for result in read_file(item, format="auto", read=FileRead())
        if isinstance(result, ParsedConversation)
    ]


def _triples(label: dict[str, Any], key: str, where: str, roles: Sequence[str]) -> set[Triple]:
    triples = set()
    for triple in label.get(key, []):
        rejected, pushback, chosen = (int(index) for index in triple)
        if not 0 <= rejected < pushback < chosen < len(roles) or (
            roles[rejected],
            roles[pushback],
            roles[chosen],
        ) != ("assistant", "user", "assistant"):
            raise CannotMeasure(f"{where}: {key} {triple} is no answer, reply, answer of the stored turns")
        triples.add((rejected, pushback, chosen))
    return triples


def measure(labels: Path, root: Path, threshold: float) -> Tally:
    tally = Tally()
    read: dict[Path, list[ParsedConversation]] = {}
    for number, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        label = json.loads(line)
        path = root / label["file"]
        where = f"{labels.name}:{number} ({label['file']})"
        if path not in read:
            read[path] = _conversations(path)
        index = int(label.get("conversation", 1))
        if not 1 <= index <= len(read[path]):
            raise CannotMeasure(f"{where}: conversation {index} of {len(read[path])} stored")
        conversation = read[path][index - 1]
        roles = [turn.role for turn in conversation.turns]
        gold = {(r, c) for r, _, c in _triples(label, "pairs", where, roles)}
        unsure = {(r, c) for r, _, c in _triples(label, "unsure", where, roles)}
        if label.get("turns_right") is False:
            tally.skipped += 1
            continue
        tally.conversations += 1
        turns = [(turn.role, turn.text) for turn in conversation.turns]
        found = {
            (pair.rejected, pair.chosen)
            for pair in detect_pairs(turns, acting=acting(conversation.turns))
            if pair.score >= threshold
        }
        tally.score.tp += len(found & gold)
        tally.score.fn += len(gold - found)
        tally.score.fp += len(found - gold - unsure)
        tally.unsure_found += len(found & unsure)
        tally.false += [f"{label['file']}#{index} {pair}" for pair in sorted(found - gold - unsure)]
        tally.missed += [f"{label['file']}#{index} {pair}" for pair in sorted(gold - found)]
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("labels", type=Path)
    parser.add_argument("--root", type=Path, help="folder the labels' file names are relative to")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--verbose", action="store_true", help="list the false and the missed pairs")
    args = parser.parse_args(argv)
    if not args.labels.is_file():
        print(f"cannot measure: {args.labels}: no such file", file=sys.stderr)
        return 2
    try:
        tally = measure(args.labels, args.root or args.labels.parent, args.threshold)
    except (CannotMeasure, ValueError, KeyError) as exc:
        print(f"cannot measure: {exc}", file=sys.stderr)
        return 2
    score = tally.score
    print(
        f"{tally.conversations} conversations ({tally.skipped} with wrong turns left out): "
        f"precision {score.precision:.3f}, recall {score.recall:.3f} "
        f"(found {score.tp} of {score.tp + score.fn} pairs, {score.fp} false, {tally.unsure_found} unsure found) "
        f"at threshold {args.threshold}"
    )
    if args.verbose:
        for name, pairs in (("false", tally.false), ("missed", tally.missed)):
            for pair in pairs:
                print(f"  {name}: {pair}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
