"""Dashboard counts: exact on small tables, at most CACHE_SECONDS old on large PostgreSQL tables."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from app.dashboard import queries
from app.db import session_scope
from tests.conversations.test_views import add_conversation


def _count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return queries.count_conversations(session)


def test_small_tables_are_counted_every_time(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "_cache", {})
    add_conversation(engine, "a")
    assert _count(engine) == 1
    add_conversation(engine, "b")
    assert _count(engine) == 2


def test_large_postgres_tables_are_counted_once_a_minute(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every table counts as large (its statistics say at least -1 rows, even never analyzed).
    monkeypatch.setattr(queries, "LARGE_TABLE", -1)
    monkeypatch.setattr(queries, "_cache", {})
    clock = [1000.0]
    monkeypatch.setattr(queries.time, "monotonic", lambda: clock[0])
    add_conversation(engine, "a")
    assert _count(engine) == 1
    add_conversation(engine, "b")
    expected_cached = 1 if engine.dialect.name == "postgresql" else 2
    assert _count(engine) == expected_cached
    clock[0] += queries.CACHE_SECONDS
    assert _count(engine) == 2
