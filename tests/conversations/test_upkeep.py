"""Import upkeep on PostgreSQL: a large import leaves the planner the tables' true sizes, on a server whose
autovacuum is off or has not caught up (this suite's server runs with it off)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

import app.conversations.importing as importing
import app.conversations.upkeep as upkeep
from app.conversations.importing import run_import
from tests.conftest import only_postgres

pytestmark = only_postgres
TABLES = ("conversation", "turn", "pair")


def planner_rows(engine: Engine) -> dict[str, float]:
    """What the planner believes each table holds (`reltuples`, which ANALYZE sets and nothing else here)."""
    with engine.connect() as connection:
        return dict(
            connection.execute(
                text(
                    "SELECT relname, reltuples FROM pg_class WHERE relname IN ('conversation', 'turn', 'pair')"
                )
            ).all()
        )


def true_rows(engine: Engine) -> dict[str, float]:
    with engine.connect() as connection:
        return {name: float(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
                for name in TABLES}  # fmt: skip


def sessions(folder: Path, count: int) -> Path:
    """`count` chats with a pushback and a revision each (so pairs are stored too)."""
    folder.mkdir()
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"Write a parser for format {i}."},
                    {"role": "assistant", "content": f"Here is a parser for format {i}: split on commas."},
                    {"role": "user", "content": "That's wrong: quoted fields can hold commas. Redo it."},
                    {
                        "role": "assistant",
                        "content": f"Revised parser for format {i}, with quoted fields handled.",
                    },
                ]
            }
        )
        for i in range(count)
    ]
    (folder / "chats.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_a_large_import_refreshes_every_tables_statistics(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        connection.execute(text("ANALYZE conversation, turn, pair"))  # the planner now believes them empty
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 30)
    summary = run_import(engine, paths=[sessions(tmp_path / "chats", 30)], workers=0)
    assert summary.conversations_added == 30
    assert summary.pairs_detected > 0
    assert planner_rows(engine) == true_rows(engine)


def test_a_smaller_import_leaves_them_to_autovacuum(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        connection.execute(text("ANALYZE conversation, turn, pair"))
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 31)
    run_import(engine, paths=[sessions(tmp_path / "chats", 30)], workers=0)
    # The conversation table only: 30 rows stay under autovacuum's own threshold (50), on a server running it.
    assert planner_rows(engine)["conversation"] == 0.0


def test_the_tables_are_analyzed_side_by_side(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each table on its own connection at once: all three are analyzing before any of them ends."""
    started = threading.Barrier(len(TABLES), timeout=5)
    analyzed: list[str] = []
    original = upkeep._analyze

    def analyze(engine: Engine, table: object) -> None:
        started.wait()  # breaks (and fails the test) if the tables were analyzed one after another
        original(engine, table)  # type: ignore[arg-type]
        analyzed.append(table.name)  # type: ignore[attr-defined]

    monkeypatch.setattr(upkeep, "_analyze", analyze)
    upkeep.analyze_imported(engine)
    assert sorted(analyzed) == sorted(TABLES)
