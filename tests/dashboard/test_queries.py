"""Dashboard counts: exact on small tables, at most CACHE_SECONDS old on large PostgreSQL tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from app.dashboard import queries
from app.dashboard.models import CachedAggregate
from app.db import session_scope
from app.models_base import utcnow
from app.pairs.models import PairStatus
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


def test_worker_refresh_feeds_every_process(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large PostgreSQL tables: the worker's row answers a cold process (no count on the page view)."""
    monkeypatch.setattr(queries, "LARGE_TABLE", -1)
    monkeypatch.setattr(queries, "_cache", {})
    add_conversation(engine, "a")
    refreshed = queries.refresh_aggregates(engine)
    if engine.dialect.name != "postgresql":
        assert refreshed == []  # SQLite counts exactly on every view
        return
    assert refreshed == ["conversations", "pairs_by_status", "pattern_counts"]
    add_conversation(engine, "b")
    computed: list[str] = []

    def counted(session: object) -> int:
        computed.append("count")
        return 0

    monkeypatch.setattr(queries, "_count_conversations", counted)
    monkeypatch.setitem(queries.AGGREGATES, "conversations", ("conversation", queries._count_conversations))
    assert _count(engine) == 1  # the worker's figure, read from the table, not counted again
    assert computed == []
    with session_scope(engine) as session:
        row = session.get(CachedAggregate, "conversations")
        assert row is not None
        row.computed_at = utcnow() - timedelta(seconds=queries.STALE_SECONDS + 1)
        session.add(row)
    assert _count(engine) == 0  # a stale row (no worker running): the page view computes it itself
    assert computed == ["count"]


def test_cached_pattern_counts_match_the_exact_ones(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(engine) as session:
        exact = queries.pattern_frequency(session)
    monkeypatch.setattr(queries, "LARGE_TABLE", -1)
    monkeypatch.setattr(queries, "_cache", {})
    queries.refresh_aggregates(engine)
    with session_scope(engine) as session:
        assert queries.pattern_frequency(session) == exact
        assert queries.pairs_by_status(session) == {str(s): 0 for s in PairStatus}
