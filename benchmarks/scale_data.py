"""A large synthetic corpus for scale runs: OpenAI chat JSONL, varied text, a share of pushback conversations.

    python benchmarks/scale_data.py OUT_DIR [--conversations 1000000] [--per-file 20000] [--seed 7]

Each conversation has 2 to 8 turns (about 5 on average) whose words are drawn from a technical vocabulary
with a Zipf-like skew, so full-text search sees common, rare and absent terms as it would on real chats.
About 30% of conversations carry a pushback (an answer, a user's objection, a revised answer) that the
detector turns into a pair. Files are written by two processes; the same seed gives the same files.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import orjson

VOCABULARY = (
    "the a to of and in is for that this with it on be as you can use your not are if or by from we "
    "function query index table column request response server client cache retry timeout error "
    "exception handler config file path string list dict value key type class method module package "
    "import export test fixture mock assert log metric trace span deploy build release version branch "
    "commit merge rebase conflict schema migration transaction lock commit rollback replica shard "
    "partition queue worker job task scheduler cron webhook payload header token session cookie auth "
    "password hash salt encrypt decrypt certificate proxy gateway latency throughput memory cpu disk "
    "network socket thread process async await future promise callback event stream buffer parser "
    "serializer encoder decoder compiler runtime interpreter kernel container image volume cluster node "
    "pod service ingress loadbalancer dns tls http grpc rest graphql pagination cursor offset limit "
    "filter sort group aggregate join subquery window rank dense vector embedding model prompt "
    "completion tokenizer dataset batch epoch gradient optimizer learning rate loss accuracy precision "
    "recall benchmark profile flamegraph bottleneck regression refactor idempotent deterministic "
    "concurrency race deadlock starvation backpressure throttle debounce invalidate eviction ttl "
    "postgres sqlite redis kafka rabbitmq nginx docker kubernetes terraform ansible python rust golang "
    "typescript javascript java kotlin swift haskell ocaml elixir erlang clojure scala ruby php perl"
)
WORDS = VOCABULARY.split()
# Zipf-like weights: early (common) words much more often than late (rare) ones.
WEIGHTS = [1.0 / (rank + 1) ** 0.9 for rank in range(len(WORDS))]
QUESTIONS = (
    "How should I {0} the {1} in our {2}?",
    "Why does the {1} {0} when the {2} is under load?",
    "Can you write a {1} that handles {2} without a {3}?",
    "What is the best way to {0} {1} data across {2} nodes?",
)
VERBS = ("structure", "cache", "retry", "partition", "index", "test", "deploy", "profile", "migrate")
PUSHBACKS = (
    "That's wrong: you ignored idempotency, a retry will double-charge. Redo it with a dedupe key.",
    "No, that is not correct. The {0} still leaks under load, please fix the {1} handling.",
    "You missed the tradeoffs. Which {0} would you pick and why?",
    "This doesn't work, the {0} throws an error on an empty {1}. Try again.",
)
FOLLOW_UPS = ("Thanks, that works! Now add a flag for the {0}.", "Great. What about the {0} on {1}?")


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, weights=WEIGHTS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def answer(rng: random.Random, n: int) -> str:
    paragraphs = [" ".join(sentence(rng, 6, 16) for _ in range(rng.randint(2, 4))) for _ in range(n)]
    if rng.random() < 0.3:
        code = "\n".join(
            f"    {rng.choice(WORDS)} = {rng.choice(WORDS)}({rng.choice(WORDS)})" for _ in range(4)
        )
        paragraphs.append(f"```python\ndef {rng.choice(WORDS)}():\n{code}\n```")
    return "\n\n".join(paragraphs)


def nouns(rng: random.Random, k: int) -> list[str]:
    return rng.sample(WORDS[60:], k)


def conversation(rng: random.Random, number: int) -> bytes:
    """One record: system prompt sometimes, then user/assistant turns; 30% with a pushback in the middle."""
    messages: list[dict[str, str]] = []
    if rng.random() < 0.2:
        messages.append({"role": "system", "content": "You are a careful senior engineer."})
    words = nouns(rng, 4)
    ask = rng.choice(QUESTIONS).format(rng.choice(VERBS), *words[:3])
    messages.append({"role": "user", "content": f"{ask} {sentence(rng, 4, 12)} (ticket {number})"})
    messages.append({"role": "assistant", "content": answer(rng, rng.randint(1, 3))})
    if rng.random() < 0.3:
        messages.append({"role": "user", "content": rng.choice(PUSHBACKS).format(*words[1:3])})
        messages.append({"role": "assistant", "content": "You're right, revised.\n\n" + answer(rng, 2)})
    while len(messages) < 8 and rng.random() < 0.55:
        messages.append({"role": "user", "content": rng.choice(FOLLOW_UPS).format(*words[2:4])})
        messages.append({"role": "assistant", "content": answer(rng, 1)})
    return orjson.dumps({"messages": messages, "id": f"conv-{number}"})


def write_file(path: Path, first: int, count: int, seed: int) -> int:
    rng = random.Random(seed * 1_000_003 + first)
    lines = [conversation(rng, number) for number in range(first, first + count)]
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(data)
    return len(data)


def generate(folder: Path, *, conversations: int, per_file: int = 20_000, seed: int = 7) -> int:
    """Write the corpus into `folder` (files part-00000.jsonl, ...); returns the bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    starts = list(range(0, conversations, per_file))
    with ProcessPoolExecutor(max_workers=2) as pool:
        sizes = pool.map(
            write_file,
            [folder / f"part-{i:05d}.jsonl" for i in range(len(starts))],
            starts,
            [min(per_file, conversations - s) for s in starts],
            [seed] * len(starts),
        )
        return sum(sizes)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    size = generate(args.out, conversations=args.conversations, per_file=args.per_file, seed=args.seed)
    print(
        f"wrote {args.conversations} conversations, {size / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
