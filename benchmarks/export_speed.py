"""Export speed: 100,000 accepted pairs in a temporary SQLite database, exported as DPO JSONL and Parquet.

    .venv/bin/python benchmarks/export_speed.py [--pairs 100000]

Prints pairs/s and peak RSS per phase. The database is seeded in a child process, so the peak RSS of this
process is the export's own (plus the interpreter and libraries). Target: >= 50,000 pairs/s.

Exports use a second core where there is one: a writer thread hashes, compresses and writes, and a linted
export counts tokens partly in a forked worker process. So the CPU seconds (this process's threads plus
the worker) can exceed the wall-clock seconds, and on a machine with other load the wall-clock rate
depends on how much of the second core is free; run `uptime` alongside. Peak RSS is this process's; the
worker is forked from it and holds about one batch of texts of its own.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from app.conversations.models import Conversation, Turn
from app.db import build_engine, session_scope
from app.migrate import upgrade
from app.pairs.models import Pair
from app.pairs.views_data import iter_pair_details
from app.releases.export.dataset import export_file
from app.releases.export.reader import ReleaseFilters, iter_release_pairs

CHUNK = 10_000
_WORDS = (
    "the a of to and in is it for that with as on be this are by or use can you cache index shard replica "
    "tradeoff latency throughput migration rollback schema header version client server request response "
    "error retry timeout queue worker database query table column transaction lock read write test deploy "
    "config secret token user session cookie proxy route handler model service layer interface contract"
)
VOCABULARY = _WORDS.split()
# A fixed pseudo-random word stream: texts are slices of it, so they vary like prose and compress like it.
_rng = random.Random(0)
STREAM = [_rng.choice(VOCABULARY) for _ in range(200_003)]


def _text(i: int, n_words: int) -> str:
    start = (i * 7919) % (len(STREAM) - n_words)
    return " ".join(STREAM[start : start + n_words]) + f" ({i})."


def seed(url: str, pairs: int) -> None:
    engine = build_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    conversation_table = Conversation.__table__  # type: ignore[attr-defined]
    turn_table = Turn.__table__  # type: ignore[attr-defined]
    pair_table = Pair.__table__  # type: ignore[attr-defined]
    for start in range(0, pairs, CHUNK):
        ids = range(start + 1, min(pairs, start + CHUNK) + 1)
        conversations: list[dict[str, Any]] = []
        turns: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []
        for i in ids:
            conversations.append({
                "id": i, "source": "bench", "format": "openai", "file": "bench.jsonl", "external_id": str(i),
                "title": f"conversation {i}", "system_prompt": "You are a careful senior engineer." if i % 10 == 0
                else None, "content_hash": f"{i:064x}", "turn_count": 4, "meta": None, "batch_id": None,
                "created_at": now,
            })  # fmt: skip
            texts = [
                ("user", "How should I " + _text(i, 25) + "?"),
                ("assistant", _text(i + 1, 110)),
                ("user", "That's shallow. What are the tradeoffs? " + _text(i + 2, 10)),
                ("assistant", _text(i + 3, 220)),
            ]
            turns.extend(
                {
                    "id": i * 4 + k,
                    "conversation_id": i,
                    "index": k,
                    "role": role,
                    "text": text,
                    "blocks": None,
                }
                for k, (role, text) in enumerate(texts)
            )
            rows.append({
                "id": i, "conversation_id": i, "first_turn_id": i * 4 + 1, "second_turn_id": i * 4 + 3,
                "pushback_turn_id": i * 4 + 2, "prompt_end_index": 0, "detector": "bench", "score": 0.9,
                "signals": "", "status": "accepted", "swapped": i % 5 == 0, "version": 1, "created_at": now,
                "updated_at": now,
            })  # fmt: skip
        with engine.begin() as connection:
            connection.execute(insert(conversation_table), conversations)
            connection.execute(insert(turn_table), turns)
            connection.execute(insert(pair_table), rows)
    engine.dispose()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process (all its threads) and of its finished child processes: a linted export
    counts tokens partly in a worker process, whose time belongs to the export too."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(label: str, pairs: int, action: Callable[[], object]) -> None:
    """Wall-clock and CPU figures: on a shared machine the CPU rate is the steadier of the two."""
    started, cpu_started = time.perf_counter(), cpu_seconds()
    action()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    print(
        f"{label:<46} {seconds:6.2f} s {pairs / seconds:9,.0f} pairs/s | cpu {cpu:6.2f} s "
        f"{pairs / cpu:9,.0f} pairs/s | peak RSS {peak_rss_mb():6.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=seed, args=(url, args.pairs))
        child.start()
        child.join()
        print(f"seeded {args.pairs:,} accepted pairs in {time.perf_counter() - started:.1f} s")
        engine = build_engine(url)
        print(f"{'baseline (imports, no export yet)':<46} peak RSS {peak_rss_mb():6.1f} MB")
        out = Path(folder)

        def run(**kwargs: object) -> Callable[[], object]:
            def action() -> object:
                with session_scope(engine, read_only=True) as session:
                    result = export_file(session, kind="dpo", **kwargs)  # type: ignore[arg-type]
                assert result.counts["total"] == args.pairs
                return result

            return action

        def read(reader: Callable[[Session], Iterable[object]]) -> Callable[[], object]:
            def action() -> object:
                with session_scope(engine, read_only=True) as session:
                    return sum(1 for _ in reader(session))

            return action

        timed("read: iter_release_pairs (joined, plain rows)", args.pairs,
              read(lambda s: iter_release_pairs(s, filters=ReleaseFilters())))  # fmt: skip
        timed("read: iter_pair_details (ORM, for comparison)", args.pairs,
              read(lambda s: iter_pair_details(s, status="accepted")))  # fmt: skip
        timed("export DPO openai JSONL, no lint", args.pairs,
              run(format="openai", out=out / "a.jsonl", lint=False, split=0.1))  # fmt: skip
        timed("export DPO parquet, no lint", args.pairs,
              run(format="parquet", out=out / "a.parquet", lint=False, split=0.1))  # fmt: skip
        timed("export DPO openai JSONL + lint (tokens)", args.pairs,
              run(format="openai", out=out / "b.jsonl", split=0.1))  # fmt: skip
        timed("export DPO parquet + lint (tokens)", args.pairs,
              run(format="parquet", out=out / "b.parquet", split=0.1))  # fmt: skip
        sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.suffix in (".jsonl", ".parquet")}
        print("files:", ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sorted(sizes.items())))
        engine.dispose()


if __name__ == "__main__":
    main()
