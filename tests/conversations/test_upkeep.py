"""Import upkeep on PostgreSQL: a large import leaves the planner the tables' true sizes, on a server whose
autovacuum is off or has not caught up (this suite's server runs with it off)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text

import app.conversations.importing as importing
import app.conversations.upkeep as upkeep
from app.conversations.importing import run_import
from tests.conftest import SAMPLES, only_postgres

pytestmark = only_postgres
TABLES = ("conversation", "turn", "pair")
CLAUDE_CODE = SAMPLES / "rendered" / "claude-code"


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


def test_a_large_import_refreshes_every_tables_statistics(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as connection:
        connection.execute(text("ANALYZE conversation, turn, pair"))  # the planner now believes them empty
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 1)
    summary = run_import(engine, paths=[SAMPLES], workers=0)
    assert summary.pairs_detected > 0
    assert planner_rows(engine) == true_rows(engine)


def test_a_smaller_import_leaves_them_to_autovacuum(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with engine.begin() as connection:
        connection.execute(text("ANALYZE conversation, turn, pair"))
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 10**6)
    assert run_import(engine, paths=[CLAUDE_CODE], workers=0).conversations_added == 24
    # The conversation table only: its 24 rows stay under autovacuum's own threshold (50), on a server
    # running it.
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
