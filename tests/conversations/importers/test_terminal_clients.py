"""Terminal chat clients' SQLite stores: oterm (`store.db`, here as an early version created it: `me` and `ollama`
authors, a system prompt, an image, a chat without messages) and Elia (`elia.sqlite`, its SQLModel tables: the
system message first, an archived chat with the early `human` / `ai` roles). The fixtures
(tests/fixtures/real_formats/oterm/, elia/) are built by hand with the tables of their stores' code."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"
OTERM = REAL / "oterm" / "store.db"
ELIA = REAL / "elia" / "elia.sqlite"


def _parse(fmt: str, path: Path) -> list[object]:
    with path.open("rb") as stream:
        return list(get_importer(fmt).parse(stream, str(path)))


def test_the_stores_are_known_by_their_schema() -> None:
    assert detect_format(OTERM.read_bytes()[:65536], "store.db") == "oterm"
    assert detect_format(ELIA.read_bytes()[:65536], "elia.sqlite") == "elia"


def test_oterm_chats_keep_their_system_prompt_and_early_authors() -> None:
    sql, picture, empty = _parse("oterm", OTERM)
    assert isinstance(sql, ParsedConversation)
    assert isinstance(picture, ParsedConversation)
    assert (sql.external_id, sql.title, sql.system_prompt, sql.metadata) == (
        "1",
        "sql window",
        "Answer briefly.",
        {"model": "llama3.1:8b"},
    )
    assert [t.role for t in sql.turns] == ["user", "assistant", "user", "assistant"]
    (pair,) = [p for p in find_pairs(sql) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    assert (picture.title, picture.dropped) == ("What is in this picture?", {"image": 1})
    assert empty == Skipped("oterm chat without a prompt and an answer")


def test_elia_chats_read_with_their_system_message_and_models() -> None:
    regex, translation = _parse("elia", ELIA)
    assert isinstance(regex, ParsedConversation)
    assert isinstance(translation, ParsedConversation)
    assert regex.system_prompt == "You are a helpful assistant named Elia."
    assert (regex.title, regex.metadata) == (
        "Regex for UK postcodes",
        {"models": ["claude-3-5-sonnet-20240620"], "started_at": "2024-08-01 10:00:00.000001"},
    )
    (pair,) = [p for p in find_pairs(regex) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    assert turns(translation) == [
        ("user", "Translate 'good morning' to Spanish."),
        ("assistant", "Buenos días."),
    ]
    assert translation.title == "Translate 'good morning' to Spanish."
    assert translation.metadata["archived"] is True


@pytest.mark.parametrize(("fmt", "table"), [("oterm", "message"), ("elia", "message")])
def test_a_store_without_its_tables_is_one_clear_error(tmp_path: Path, fmt: str, table: str) -> None:
    path = tmp_path / "store.db"
    path.write_bytes((OTERM if fmt == "oterm" else ELIA).read_bytes())
    with sqlite3.connect(path) as connection:
        connection.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
    with pytest.raises(FileFormatError, match="expected"):
        _parse(fmt, path)


def test_the_stores_import_once(engine: Engine) -> None:
    paths = [OTERM.parent, ELIA.parent]
    summary = run_import(engine, paths=paths, source="terminal", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (4, 2, 0)
    assert run_import(engine, paths=paths, source="terminal", workers=0).conversations_added == 0
