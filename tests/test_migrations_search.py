"""Migrations b7c2915ed1c4 (SQLite FTS5 search), 13be455bd874 (PostgreSQL turn vectors) and 8c4f1e6b3a90 (their
words) up and down, over existing data, on both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlmodel import col

from app import migrate
from app.conversations.models import Conversation
from app.conversations.search import text_match
from app.conversations.search_index import index_pending
from app.db import build_engine, session_scope
from tests.conftest import BACKENDS
from tests.test_migrations import SQLITE_SEARCH_TABLES

BEFORE, REVISION = "6db1c01b712a", "b7c2915ed1c4"


@pytest.fixture(params=BACKENDS)
def engine_at(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[Callable[[str], Engine]]:
    """A fresh database (each backend) migrated to a given revision, with a few conversations."""
    engines: list[Engine] = []

    def at(revision: str) -> Engine:
        engine = build_engine(fresh_database_url(request.param))
        engines.append(engine)
        migrate.upgrade(engine, revision)
        _add_rows(engine)
        return engine

    yield at
    for engine in engines:
        engine.dispose()


def _add_rows(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO conversation (id, source, format, file, external_id, content_hash, title, turn_count, "
                "meta, created_at) VALUES (1, 's', 'openai', 'f', 'e', 'h', 'Kafka notes', 1, '{}', "
                "'2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                'INSERT INTO turn (id, conversation_id, "index", role, text, blocks) '
                "VALUES (1, 1, 0, 'user', 'consumer lag', '[]')"
            )
        )


def _objects(engine: Engine) -> set[str]:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            return set(
                connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
                ).scalars()
            )
    return set(inspect(engine).get_table_names())


def test_up_and_down_over_existing_rows(engine_at: Callable[[str], Engine]) -> None:
    engine = engine_at(BEFORE)
    before = _objects(engine)
    migrate.upgrade(engine, REVISION)
    added = _objects(engine) - before
    if engine.dialect.name != "sqlite":
        assert added == set()  # PostgreSQL searches through its GIN indexes
    else:
        triggers = {
            f"{fts}_{event}" for fts in ("turn_fts", "conversation_fts") for event in ("delete", "update")
        }
        assert added == SQLITE_SEARCH_TABLES | triggers
        with engine.connect() as connection:
            marks = {
                row[0]: row[1]
                for row in connection.execute(text("SELECT name, indexed_to FROM search_index_state"))
            }
            # Existing rows wait for the index job (the migration itself stays instant on a big database).
            assert marks == {"turn_fts": 0, "conversation_fts": 0}
            assert connection.execute(text("SELECT count(*) FROM turn_fts_docsize")).scalar_one() == 0
    migrate.downgrade(engine, BEFORE)
    assert _objects(engine) == before
    with engine.begin() as connection:  # no trigger left behind that would refer to a dropped table
        connection.execute(text("UPDATE turn SET text = 'x'"))
        connection.execute(text("DELETE FROM conversation"))
        assert connection.execute(text("SELECT count(*) FROM turn")).scalar_one() == 0
    migrate.upgrade(engine)


# Migration 13be455bd874: PostgreSQL's turn vectors move from a GIN expression index to a job-filled side table.
BEFORE_VECTORS, VECTORS = "435123756e99", "13be455bd874"


def _postgres_search_objects(engine: Engine) -> set[str]:
    """Search indexes and user triggers on PostgreSQL (the tables come from `_objects`)."""
    with engine.connect() as connection:
        indexes = connection.execute(
            text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%search%'")
        ).scalars()
        triggers = connection.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
        return {*indexes, *triggers}


def test_turn_vectors_up_and_down_over_existing_rows(engine_at: Callable[[str], Engine]) -> None:
    engine = engine_at(BEFORE_VECTORS)
    postgres = engine.dialect.name == "postgresql"
    before = _objects(engine) | (_postgres_search_objects(engine) if postgres else set())
    migrate.upgrade(engine, VECTORS)
    after = _objects(engine) | (_postgres_search_objects(engine) if postgres else set())
    if not postgres:
        assert after == before  # SQLite keeps its FTS5 tables
    else:
        assert "ix_turn_text_search" in before
        assert after - before == {
            "turn_search",
            "search_index_state",
            "ix_turn_search_vector",
            "ix_turn_search_unindexable",
            "turn_search_update",
        }
        assert before - after == {"ix_turn_text_search"}  # inserts no longer compute a vector
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name, indexed_to FROM search_index_state")).all()
            marks = {str(name): int(mark) for name, mark in rows}
            assert marks == {"turn_search": 0}  # existing turns wait for the index job
        migrate.upgrade(engine)  # the index job of today's code
        assert index_pending(engine).indexed == {"turn_search": 1}
        with engine.begin() as connection:  # the trigger keeps an indexed turn's vector right
            connection.execute(text("UPDATE turn SET text = 'zebra crossing'"))
            vector = connection.execute(text("SELECT vector::text FROM turn_search")).scalar_one()
            assert vector == "'crossing':2 'zebra':1"
    migrate.downgrade(engine, BEFORE_VECTORS)
    assert _objects(engine) | (_postgres_search_objects(engine) if postgres else set()) == before
    with engine.begin() as connection:  # no trigger left behind that would refer to a dropped table
        connection.execute(text("UPDATE turn SET text = 'x'"))
        connection.execute(text("DELETE FROM conversation"))
    migrate.upgrade(engine)


# Migration 8c4f1e6b3a90: PostgreSQL lists the words of the stored turn vectors.
BEFORE_WORDS, WORDS = "5e0c8a7d2f61", "8c4f1e6b3a90"


def _store_vector_as_before(engine: Engine) -> None:
    """PostgreSQL: the turn's vector stored before a migration, as the index job of its day stored it."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO turn_search (turn_id, vector, exact_positions) "
                "SELECT id, to_tsvector('simple', text), true FROM turn"
            )
        )
        connection.execute(text("UPDATE search_index_state SET indexed_to = 1"))


def _listed_words(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(text("SELECT word FROM turn_search_words")).scalars())


def test_turn_words_up_and_down_over_existing_rows(engine_at: Callable[[str], Engine]) -> None:
    engine = engine_at(BEFORE_WORDS)
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        _store_vector_as_before(engine)
    before = _objects(engine)
    migrate.upgrade(engine, WORDS)
    if not postgres:
        assert _objects(engine) == before
    else:
        assert _objects(engine) - before == {"turn_search_words"}
        assert _listed_words(engine) == {"consumer", "lag"}  # the existing vectors' words
        with engine.begin() as connection:  # the trigger lists an edited turn's new words
            connection.execute(text("UPDATE turn SET text = 'zebra crossing'"))
        assert _listed_words(engine) == {"consumer", "lag", "zebra", "crossing"}
    migrate.downgrade(engine, BEFORE_WORDS)
    assert _objects(engine) == before
    with engine.begin() as connection:  # the trigger no longer refers to the dropped table
        connection.execute(text("UPDATE turn SET text = 'x'"))
        if postgres:
            vector = connection.execute(text("SELECT vector::text FROM turn_search")).scalar_one()
            assert vector == "'x':1"
    migrate.upgrade(engine)


# Migration c5d7e9a1b3f2: PostgreSQL stores the pairs of adjacent words of each turn vector.
BEFORE_PAIRS, PAIRS = "f3a81c2d9b57", "c5d7e9a1b3f2"


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def _state(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT name, indexed_to FROM search_index_state")).all())


def _found(engine: Engine, query: str) -> list[int]:
    with session_scope(engine, read_only=True) as session:
        return list(session.scalars(select(col(Conversation.id)).where(text_match(session, query))))


def test_word_pairs_up_and_down_over_existing_rows(engine_at: Callable[[str], Engine]) -> None:
    engine = engine_at(BEFORE_PAIRS)
    postgres = engine.dialect.name == "postgresql"
    if not postgres:
        before = _objects(engine)
        migrate.upgrade(engine, PAIRS)
        assert _objects(engine) == before
        migrate.downgrade(engine, BEFORE_PAIRS)
        assert _objects(engine) == before
        return
    _store_vector_as_before(engine)
    indexes_before = _postgres_search_objects(engine)
    migrate.upgrade(engine, PAIRS)
    assert "pairs" in _columns(engine, "turn_search")
    assert _postgres_search_objects(engine) - indexes_before == {
        "ix_turn_search_pairs",
        "ix_turn_search_no_pairs",
    }
    # The vectors stay (search keeps finding them by their words) and wait for the job to fill their pairs.
    assert _state(engine) == {"turn_search": 1, "turn_search_pairs": 0}
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM turn_search WHERE pairs IS NULL")).scalar_one() == 1
        )
    migrate.downgrade(engine, BEFORE_PAIRS)  # before the job ran: the cursor goes with the pairs
    assert _state(engine) == {"turn_search": 1}
    assert _postgres_search_objects(engine) == indexes_before
    migrate.upgrade(engine)
    assert _found(engine, "consumer lag") == [1]
    result = index_pending(engine)
    assert (result.indexed, result.pairs_filled) == ({"turn_search": 0}, 1)
    assert _state(engine) == {"turn_search": 1}
    assert _found(engine, "consumer lag") == [1]
    with engine.begin() as connection:
        assert (
            connection.execute(text("SELECT pairs::text FROM turn_search")).scalar_one() == "'consumer lag'"
        )
        connection.execute(text("UPDATE turn SET text = 'zebra crossing'"))  # the trigger writes pairs too
        assert (
            connection.execute(text("SELECT pairs::text FROM turn_search")).scalar_one() == "'zebra crossing'"
        )
    migrate.downgrade(engine, BEFORE_PAIRS)
    assert "pairs" not in _columns(engine, "turn_search")
    assert _postgres_search_objects(engine) == indexes_before
    with engine.begin() as connection:  # the vectors stay, and the trigger no longer writes pairs
        connection.execute(text("UPDATE turn SET text = 'x'"))
        assert connection.execute(text("SELECT vector::text FROM turn_search")).scalar_one() == "'x':1"
    migrate.upgrade(engine)


def test_word_pairs_on_an_empty_index_leave_nothing_to_fill(engine_at: Callable[[str], Engine]) -> None:
    engine = engine_at(BEFORE_PAIRS)
    migrate.upgrade(engine, PAIRS)
    assert "turn_search_pairs" not in _state(engine)  # no cursor: no job queued for nothing
