"""migrate.upgrade skips Alembic when the database is at the head already (start-up of every command)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app import migrate
from app.db import build_engine
from tests.conftest import BACKENDS


@pytest.fixture(params=BACKENDS)
def empty_engine(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    engine = build_engine(fresh_database_url(request.param))
    yield engine
    engine.dispose()


def test_file_heads_are_alembics_heads(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_engine))
    assert migrate.file_heads() == frozenset(script.get_heads())


def test_a_current_database_costs_no_migration_run(
    empty_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not migrate.is_current(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.is_current(empty_engine)
    calls: list[str] = []
    monkeypatch.setattr(command, "upgrade", lambda config, revision: calls.append(revision))
    migrate.upgrade(empty_engine)
    assert calls == []
    migrate.upgrade(empty_engine, "77fe15a03ec0")
    assert calls == ["77fe15a03ec0"]


def test_a_database_behind_the_head_is_upgraded(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "77fe15a03ec0")
    assert not migrate.is_current(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.is_current(empty_engine)
