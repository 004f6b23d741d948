"""Parquet files (public datasets as Hugging Face hosts them) import as the JSON Lines records their rows are:
the same format detected, the same conversations and errors (a row number as the line), in a folder, inside a
zip and through the import's worker processes; a broken Parquet file is one clear error."""

from __future__ import annotations

import json
import zipfile
from datetime import time as dt_time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from app.conversations.files import InputFile, iter_input_files
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import
from app.conversations.reading import FileRead, read_file

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real_formats"
SOURCES = {
    "hh_rlhf.jsonl": "preference",
    "ultrafeedback_binarized.jsonl": "preference",
    "chat_logs/wildchat.jsonl": "openai",
    "chat_logs/lmsys_chat_1m.json": "openai",
    "arena/arena_human_preference_140k.jsonl": "preference",
}


def _rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text("utf-8")
    if text.lstrip().startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _parquet(rows: list[dict[str, Any]], path: Path) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _read(path: Path) -> tuple[str | None, list[Any]]:
    (item,) = [i for i in iter_input_files([path]) if isinstance(i, InputFile)]
    read = FileRead()
    results = list(read_file(item, format="auto", read=read))
    shown: list[Any] = []
    for r in results:
        if isinstance(r, ParsedConversation):
            shown.append(("conversation", r.title, [(t.role, t.text) for t in r.turns], r.explicit_pairs))
        elif isinstance(r, RecordError):
            shown.append(("error", r.reason, r.line))
        else:
            shown.append(("skipped", r.reason))
    assert read.sha256 is not None
    return read.format, shown


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_rows_read_as_the_records_they_are(source: str, tmp_path: Path) -> None:
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in _rows(REAL / source)), "utf-8")
    parquet = _parquet(_rows(REAL / source), tmp_path / "rows.parquet")
    fmt, results = _read(parquet)
    assert fmt == SOURCES[source]
    # What the same rows as JSON Lines give (external ids aside: they name the file).
    expected_format, expected = _read(jsonl)
    assert fmt == expected_format
    assert results == expected
    assert any(r[0] == "conversation" for r in results)


def test_a_bad_row_is_named_by_its_row_number(tmp_path: Path) -> None:
    rows = _rows(REAL / "chat_logs/wildchat.jsonl")
    broken = dict(rows[0], conversation=[{"role": "robot", "content": "beep"}])
    _, results = _read(_parquet([rows[0], broken, rows[1]], tmp_path / "broken.parquet"))
    errors = [r for r in results if r[0] == "error"]
    assert len(errors) == 1
    assert errors[0][2] == 2
    assert "robot" in errors[0][1]
    assert sum(r[0] == "conversation" for r in results) == 2


def test_values_json_has_no_type_for(tmp_path: Path) -> None:
    table = pa.table({
        "messages": [[{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]],
        "image": [b"\x89PNG"], "cost": [Decimal("0.25")],
        "took": pa.array([timedelta(seconds=3)], pa.duration("s")), "at": pa.array([dt_time(9, 30)]),
        "tags": pa.array([[("k", "v")]], pa.map_(pa.string(), pa.string())),
    })  # fmt: skip
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    fmt, results = _read(path)
    assert fmt == "openai"
    assert results[0][0] == "conversation"
    assert results[0][2] == [("user", "Q"), ("assistant", "A")]


def test_a_file_that_only_starts_like_parquet_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.parquet"
    whole = _parquet(_rows(REAL / "hh_rlhf.jsonl"), tmp_path / "whole.parquet").read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    fmt, results = _read(path)
    assert fmt is None
    assert len(results) == 1
    assert results[0][0] == "error"
    assert results[0][1].startswith("not a readable Parquet file:")


@pytest.mark.parametrize("workers", [0, 1])
def test_a_folder_and_a_zip_of_parquet_files_import_once(
    engine: Engine, tmp_path: Path, workers: int
) -> None:
    folder = tmp_path / "dataset"
    folder.mkdir()
    _parquet(_rows(REAL / "chat_logs/wildchat.jsonl"), folder / "train-00000-of-00001.parquet")
    archive = tmp_path / "dataset.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(
            "data/test.parquet", _parquet(_rows(REAL / "hh_rlhf.jsonl"), tmp_path / "t.parquet").read_bytes()
        )
    summary = run_import(engine, paths=[folder, archive], source="hf", workers=workers)
    assert (summary.conversations_added, summary.error_count) == (4, 1)  # hh_rlhf's fixture holds one bad row
    assert summary.pairs_detected >= 1
    again = run_import(engine, paths=[folder, archive], source="hf", workers=workers)
    assert again.conversations_added == 0
