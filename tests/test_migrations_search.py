"""Migration b7c2915ed1c4 (SQLite FTS5 search) up and down, over existing data, on both backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, inspect, text

from app import migrate
from app.db import build_engine
from tests.conftest import BACKENDS
from tests.test_migrations import SQLITE_SEARCH_TABLES

BEFORE, REVISION = "6db1c01b712a", "b7c2915ed1c4"


@pytest.fixture(params=BACKENDS)
def engine_before(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    engine = build_engine(fresh_database_url(request.param))
    migrate.upgrade(engine, BEFORE)
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
    yield engine
    engine.dispose()


def _objects(engine: Engine) -> set[str]:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            return set(
                connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
                ).scalars()
            )
    return set(inspect(engine).get_table_names())


def test_up_and_down_over_existing_rows(engine_before: Engine) -> None:
    engine = engine_before
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
