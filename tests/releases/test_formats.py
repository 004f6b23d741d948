"""Every (kind, format) is loaded back with `datasets` and checked field by field against the seeded pairs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from datasets import Dataset, load_dataset
from sqlalchemy import Engine

from app.db import session_scope
from app.releases.export.dataset import export_file
from app.releases.export.rows import render_prompt_text
from tests.releases.factories import Seeded, add_many, add_pair
from tests.releases.openai_validator import validate_file

HISTORY = (("user", "We run Django 5 behind nginx."), ("assistant", "Noted: Django 5 behind nginx."))


def _seed(engine: Engine) -> list[Seeded]:
    """Ten pairs with a system prompt, a multi-turn prompt and a swapped pair among them (in id order)."""
    with session_scope(engine) as session:
        seeded = [
            add_pair(session, system_prompt="You are a senior engineer.", question="Q with system?"),
            add_pair(session, history=HISTORY, question="Multi-turn: how do we cache?"),
            add_pair(
                session, swapped=True, question="Swapped one?", chosen="First answer wins", rejected="Worse"
            ),
            add_pair(
                session, question="Unicode: ünïcødé ✓ 日本語?", chosen="Ответ ✓", rejected='Quote " and \\ '
            ),
        ]
        seeded += add_many(session, 6)
    return seeded


def _load(path: Path, builder: str = "json") -> Dataset:
    # A cache per file: the global cache keys on names, and a rerun would read stale rows.
    return load_dataset(
        builder, data_files=str(path), split="train", cache_dir=str(path.parent / ".hf-cache")
    )


def _assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def test_sft_openai(release_engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(release_engine)
    out = tmp_path / "sft.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        result = export_file(session, kind="sft", format="openai", out=out)
    assert result.counts["train"] == len(seeded)
    assert validate_file(out, method="supervised") == []
    rows = _load(out)
    assert rows.column_names == ["messages"]
    for row, s in zip(rows, seeded, strict=True):
        assert row["messages"] == [*s.prompt, _assistant(s.chosen)]
    # The raw lines carry exactly the documented fields, nothing else.
    for line in out.read_bytes().splitlines():
        assert set(orjson.loads(line)) == {"messages"}
    assert rows[0]["messages"][0] == {"role": "system", "content": "You are a senior engineer."}
    assert [m["role"] for m in rows[1]["messages"]] == ["user", "assistant", "user", "assistant"]
    assert rows[2]["messages"][-1]["content"] == "First answer wins"


def test_sft_trl_has_the_same_messages_shape(release_engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(release_engine)
    out = tmp_path / "sft-trl.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        export_file(session, kind="sft", format="trl", out=out)
    rows = _load(out)
    assert rows.column_names == ["messages"]
    for row, s in zip(rows, seeded, strict=True):
        assert row["messages"] == [*s.prompt, _assistant(s.chosen)]


def test_dpo_openai(release_engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(release_engine)
    out = tmp_path / "dpo.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        export_file(session, kind="dpo", format="openai", out=out)
    assert validate_file(out, method="dpo") == []
    rows = _load(out)
    assert sorted(rows.column_names) == ["input", "non_preferred_output", "preferred_output"]
    for row, s in zip(rows, seeded, strict=True):
        assert row["input"] == {"messages": s.prompt}
        assert row["preferred_output"] == [_assistant(s.chosen)]
        assert row["non_preferred_output"] == [_assistant(s.rejected)]
    for line in out.read_bytes().splitlines():
        data = orjson.loads(line)
        assert list(data) == ["input", "preferred_output", "non_preferred_output"]
        assert list(data["input"]) == ["messages"]


def test_dpo_trl_conversational(release_engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(release_engine)
    out = tmp_path / "dpo-trl.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        export_file(session, kind="dpo", format="trl", out=out)
    rows = _load(out)
    assert rows.column_names == ["prompt", "chosen", "rejected"]
    for row, s in zip(rows, seeded, strict=True):
        assert row["prompt"] == s.prompt
        assert row["chosen"] == [_assistant(s.chosen)]
        assert row["rejected"] == [_assistant(s.rejected)]


def test_dpo_trl_standard_strings(release_engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(release_engine)
    out = tmp_path / "dpo-std.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        export_file(session, kind="dpo", format="trl", out=out, dpo_style="standard")
    rows = _load(out)
    assert rows.column_names == ["prompt", "chosen", "rejected"]
    for row, s in zip(rows, seeded, strict=True):
        assert isinstance(row["prompt"], str)
        assert row["prompt"] == render_prompt_text(s.prompt)
        # TRL's standard preference shape: the prompt ends without trailing space, completions start with one.
        assert row["chosen"] == " " + s.chosen
        assert row["rejected"] == " " + s.rejected
        assert not row["prompt"].endswith(" ")
    assert rows[0]["prompt"] == "System: You are a senior engineer.\n\nUser: Q with system?\n\nAssistant:"
    assert rows[1]["prompt"] == (
        "User: We run Django 5 behind nginx.\n\nAssistant: Noted: Django 5 behind nginx.\n\n"
        "User: Multi-turn: how do we cache?\n\nAssistant:"
    )


def test_sft_parquet(release_engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(release_engine)
    out = tmp_path / "sft.parquet"
    with session_scope(release_engine, read_only=True) as session:
        export_file(session, kind="sft", format="parquet", out=out)
    rows = _load(out, "parquet")
    assert rows.column_names == ["messages"]
    for row, s in zip(rows, seeded, strict=True):
        assert row["messages"] == [*s.prompt, _assistant(s.chosen)]


def test_dpo_parquet(release_engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(release_engine)
    out = tmp_path / "dpo.parquet"
    with session_scope(release_engine, read_only=True) as session:
        result = export_file(session, kind="dpo", format="parquet", out=out)
    assert result.files[0].rows == len(seeded)
    rows = _load(out, "parquet")
    assert rows.column_names == ["prompt", "chosen", "rejected"]
    for row, s in zip(rows, seeded, strict=True):
        assert row["prompt"] == s.prompt
        assert row["chosen"] == [_assistant(s.chosen)]
        assert row["rejected"] == [_assistant(s.rejected)]


def test_parquet_has_fixed_row_groups_and_no_pandas_metadata(release_engine: Engine, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    with session_scope(release_engine) as session:
        add_many(session, 2500)
    out = tmp_path / "big.parquet"
    with session_scope(release_engine, read_only=True) as session:
        export_file(session, kind="dpo", format="parquet", out=out, lint=False)
    meta = pq.ParquetFile(out).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1000, 1000, 500]
    assert b"pandas" not in (pq.read_schema(out).metadata or {})
    assert meta.row_group(0).column(0).compression == "ZSTD"


@pytest.mark.parametrize(("kind", "format"), [("sft", "openai"), ("dpo", "openai")])
def test_openai_split_files_both_validate(
    release_engine: Engine, tmp_path: Path, kind: str, format: str
) -> None:
    with session_scope(release_engine) as session:
        add_many(session, 60)
    out = tmp_path / "data.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        result = export_file(session, kind=kind, format=format, out=out, split=0.3, seed=1)
    assert [f.path for f in result.files] == [out, tmp_path / "data.validation.jsonl"]
    method = "supervised" if kind == "sft" else "dpo"
    assert validate_file(out, method=method) == []
    assert validate_file(tmp_path / "data.validation.jsonl", method=method, training=False) == []
    assert result.counts["train"] + result.counts["validation"] == 60
    assert result.counts["validation"] > 0


def test_no_partial_file_is_left_when_the_export_fails(
    release_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.releases.export.dataset as export_module

    with session_scope(release_engine) as session:
        add_many(session, 3)
    real = export_module.iter_release_pairs

    def failing(*args: Any, **kwargs: Any) -> Iterator[Any]:
        iterator = real(*args, **kwargs)
        yield next(iterator)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export_module, "iter_release_pairs", failing)
    out = tmp_path / "x.jsonl"
    with session_scope(release_engine, read_only=True) as session, pytest.raises(RuntimeError):
        export_file(session, kind="sft", format="openai", out=out, split=0.5)
    assert list(tmp_path.iterdir()) == []
