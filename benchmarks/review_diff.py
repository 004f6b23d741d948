"""Review diff: time the word diff of two 40,000-word answers (cold, then cached), in four shapes.

    python benchmarks/review_diff.py [--words 40000] [--budget-seconds 1.0]

Shapes: one paragraph per 40 words with 5% of words changed; the same as one 40,000-word paragraph;
two unrelated texts; a text against itself. Exits 1 when a cold diff takes longer than the budget, 2 when
nothing could be measured.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.review.diff import word_diff  # noqa: E402

VOCABULARY = [
    "the",
    "a",
    "of",
    "to",
    "and",
    "in",
    "is",
    "it",
    "for",
    "that",
    "with",
    "as",
    "on",
    "be",
    "this",
    "are",
    "by",
    "or",
    "use",
    "can",
    "you",
    "cache",
    "index",
    "shard",
    "replica",
    "tradeoff",
    "latency",
    "throughput",
    "migration",
    "rollback",
    "schema",
    "header",
    "version",
    "client",
    "server",
    "request",
    "response",
]


def _words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(VOCABULARY) for _ in range(n)]


def _paragraphs(words: list[str], per: int) -> str:
    return "\n\n".join(" ".join(words[i : i + per]) for i in range(0, len(words), per))


def shapes(n: int) -> dict[str, tuple[str, str]]:
    rng = random.Random(11)
    base = _words(rng, n)
    edited = [rng.choice(VOCABULARY) if rng.random() < 0.05 else w for w in base]
    other = _words(rng, n)
    return {
        "5% edits, paragraphs": (_paragraphs(base, 40), _paragraphs(edited, 40)),
        "5% edits, one paragraph": (" ".join(base), " ".join(edited)),
        "unrelated texts": (_paragraphs(base, 40), _paragraphs(other, 40)),
        "identical": (_paragraphs(base, 40), _paragraphs(base, 40)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=40_000)
    parser.add_argument("--budget-seconds", type=float, default=1.0)
    args = parser.parse_args()
    worst = 0.0
    measured = 0
    for name, (left, right) in shapes(args.words).items():
        word_diff.cache_clear()
        start = time.perf_counter()
        html = word_diff(left, right)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        word_diff(left, right)
        cached = time.perf_counter() - start
        if not html:
            print(f"{name}: empty diff, cannot measure", file=sys.stderr)
            return 2
        measured += 1
        worst = max(worst, cold)
        print(f"{name:26s} cold {cold * 1000:8.1f} ms   cached {cached * 1e6:7.1f} us   {len(html):,} chars")
    if not measured:
        return 2
    print(
        f"worst cold diff of two {args.words:,}-word answers: {worst * 1000:.0f} ms (budget {args.budget_seconds} s)"
    )
    return 1 if worst > args.budget_seconds else 0


if __name__ == "__main__":
    sys.exit(main())
