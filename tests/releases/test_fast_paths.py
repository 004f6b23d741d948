"""The export's fast paths give exactly what the plain ones give: Parquet arrays built column by column,
token counts from the worker process, the ASCII shortcut of prompt normalization, the bound splitter."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from app.db import session_scope
from app.releases.export import counting
from app.releases.export.dataset import export_file
from app.releases.export.split import assign_split, normalize_text, splitter
from app.releases.export.writers import DPO_SCHEMA, PARQUET_OPTIONS, ROW_GROUP_SIZE, ParquetWriter
from app.releases.models import ReleaseKind
from tests.releases.factories import add_judgment, add_pair, add_user


def _message(role: str, content: Any) -> dict[str, Any]:
    return {"role": role, "content": content}


def _row(prompt: Any) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "chosen": [_message("assistant", "a")],
        "rejected": [_message("assistant", "b")],
    }


def _from_pylist(rows: list[dict[str, Any]], path: Path) -> bytes:
    """What the writer did before it built arrays itself."""
    writer = pq.ParquetWriter(path, DPO_SCHEMA, **PARQUET_OPTIONS)
    for start in range(0, len(rows), ROW_GROUP_SIZE):
        batch = pa.RecordBatch.from_pylist(rows[start : start + ROW_GROUP_SIZE], schema=DPO_SCHEMA)
        writer.write_batch(batch, row_group_size=ROW_GROUP_SIZE)
    writer.close()
    return path.read_bytes()


def _columns(rows: list[dict[str, Any]], path: Path) -> bytes:
    writer = ParquetWriter(path, kind=ReleaseKind.dpo)
    try:
        for row in rows:
            writer.write(row)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return path.read_bytes()


@pytest.mark.parametrize(
    "odd",
    [
        _row([{"role": "user", "content": "q", "name": "extra keys are not columns"}]),
        _row([_message("user", None)]),
        _row([{"content": "no role"}]),
        _row(None),
        {"chosen": [_message("assistant", "a")], "rejected": [_message("assistant", "b")]},
        {"prompt": [], "chosen": [], "rejected": []},
        _row([_message("user", "日本語 ✓ 😀")]),
    ],
)
@pytest.mark.parametrize("position", [0, 999, 1000, 1500])
def test_parquet_columns_match_from_pylist_bytes(odd: dict[str, Any], position: int, tmp_path: Path) -> None:
    rows = [_row([_message("system", "s"), _message("user", f"question {i}")]) for i in range(2100)]
    rows.insert(position, odd)
    expected = hashlib.sha256(_from_pylist(rows, tmp_path / "a.parquet")).hexdigest()
    assert hashlib.sha256(_columns(rows, tmp_path / "b.parquet")).hexdigest() == expected


@pytest.mark.parametrize(
    "odd",
    [_row([_message("user", 5)]), _row(["a message that is not an object"])],
)
def test_parquet_rows_arrow_refuses_fail_as_before(odd: dict[str, Any], tmp_path: Path) -> None:
    rows = [_row([_message("user", f"q{i}")]) for i in range(10)] + [odd]
    with pytest.raises(pa.ArrowTypeError):
        _from_pylist(rows, tmp_path / "a.parquet")
    with pytest.raises(pa.ArrowTypeError):
        _columns(rows, tmp_path / "b.parquet")
    assert not (tmp_path / "b.parquet").exists()
    assert not (tmp_path / "b.parquet.partial").exists()


def _seed_for_lint(engine: Engine) -> None:
    with session_scope(engine) as session:
        reviewer = add_user(session)
        for i in range(60):
            seeded = add_pair(
                session,
                question=f"Question {i % 20}: how do I handle case {i}?",
                chosen=f"A careful answer {i} " + "with tradeoffs " * (i % 7) if i % 9 else "Same answer.",
                rejected="Same answer." if i % 13 == 0 else f"Short {i}.",
                history=(("user", "earlier question " * (i % 4)), ("assistant", f"reply {i}"))
                if i % 3
                else (),
                system_prompt="You are careful." if i % 4 == 0 else None,
                swapped=i % 5 == 0,
            )
            if i % 6 == 0:
                add_judgment(session, pair=seeded.pair, reviewer=reviewer, edited_text=f"Gold {i}")


def _export(engine: Engine, out: Path, **options: Any) -> dict[str, Any]:
    with session_scope(engine, read_only=True) as session:
        result = export_file(session, out=out, split=0.3, seed=4, **options)
    return {
        "files": [(f.split, f.rows, f.sha256) for f in result.files],
        "lint": result.lint.to_json() if result.lint else None,
    }


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "dpo", "format": "openai"},
        {"kind": "sft", "format": "openai", "model": "gpt-3.5-turbo"},
        {"kind": "dpo", "format": "trl", "dpo_style": "standard"},
        {"kind": "dpo", "format": "parquet", "system_policy": "set", "system_prompt": "Be brief."},
    ],
)
def test_token_counts_from_the_worker_match_counting_here(
    release_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    _seed_for_lint(release_engine)
    suffix = ".parquet" if options["format"] == "parquet" else ".jsonl"
    monkeypatch.setattr(counting, "available_cpus", lambda: 1)
    here = _export(release_engine, tmp_path / f"here{suffix}", **options)
    # Tiny batches: the worker is forked after the first one, gets most of them, and this process counts
    # the ones it has no room for.
    monkeypatch.setattr(counting, "available_cpus", lambda: 2)
    monkeypatch.setattr(counting, "BATCH_CHARS", 200)
    started: list[int] = []
    real_worker = counting._Worker

    def worker(model: str) -> counting._Worker:
        started.append(1)
        return real_worker(model)

    monkeypatch.setattr(counting, "_Worker", worker)
    forked = _export(release_engine, tmp_path / f"forked{suffix}", **options)
    assert started == [1]
    assert forked["lint"] == here["lint"]
    assert [f[1:] for f in forked["files"]] == [f[1:] for f in here["files"]]


def test_a_worker_that_dies_is_replaced_by_counting_here(
    release_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed_for_lint(release_engine)
    monkeypatch.setattr(counting, "available_cpus", lambda: 1)
    here = _export(release_engine, tmp_path / "here.jsonl", kind="dpo", format="openai")
    monkeypatch.setattr(counting, "available_cpus", lambda: 2)
    monkeypatch.setattr(counting, "BATCH_CHARS", 200)

    def die(*_args: Any) -> None:
        import os

        os._exit(1)

    monkeypatch.setattr(counting, "_serve", die)
    assert _export(release_engine, tmp_path / "died.jsonl", kind="dpo", format="openai") == here


def _reference_normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "Plain Text",
        " leading",
        "trailing ",
        "double  space",
        "tab\tand\nnewline\r\x0b\x0c",
        "separators\x1c\x1d\x1e\x1fhere",
        "MiXeD CaSe <|endoftext|>",
        "non-ascii: caf\u00e9 \uff43\uff41\uff43\uff48\uff45 \u00a0nbsp \u2003em \u00df",
    ],
)
def test_normalize_text_ascii_shortcut_matches_the_definition(text: str) -> None:
    assert normalize_text(text) == _reference_normalize(text)


def _reference_split(group: bytes, fraction: float, seed: int) -> str:
    if fraction <= 0.0:
        return "train"
    digest = hashlib.blake2b(group, digest_size=8, key=seed.to_bytes(16, "big", signed=True)).digest()
    return "validation" if int.from_bytes(digest, "big") / float(1 << 64) < fraction else "train"


def test_bound_splitter_matches_the_definition() -> None:
    groups = [hashlib.blake2b(str(i).encode(), digest_size=16).digest() for i in range(2000)]
    for fraction, seed in ((0.0, 1), (0.1, 1), (0.5, -3), (0.9, 2**60)):
        expected = [_reference_split(g, fraction, seed) for g in groups]
        assign = splitter(fraction=fraction, seed=seed)
        assert [assign(g) for g in groups] == expected
        assert [assign_split(g, fraction=fraction, seed=seed) for g in groups] == expected
