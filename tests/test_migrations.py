"""R8: one migration head; upgrade, downgrade to base and upgrade again on every backend; models == schema."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from app import migrate
from app import models as app_models
from app.db import build_engine
from tests.conftest import BACKENDS

APP_DIR = Path(migrate.__file__).resolve().parent
# The tables every model imported by app.models declares (the migrations must create exactly these).
APP_MODEL_TABLES = {
    getattr(app_models, name).__tablename__ for name in app_models.__all__ if name != "metadata"
}
# SQLite's full-text search (migration b7c2915ed1c4): FTS5 tables, their shadow tables and the watermarks.
SQLITE_SEARCH_TABLES = {"search_index_state"} | {
    f"{fts}{part}"
    for fts in ("turn_fts", "conversation_fts")
    for part in ("", "_data", "_idx", "_docsize", "_config")
}


# PostgreSQL's (migrations 13be455bd874, 8c4f1e6b3a90): the stored turn vectors, their words and the watermark. None is in the SQLModel
# metadata, since each backend has its own (and tsvector has no SQLite type).
POSTGRES_SEARCH_TABLES = {"search_index_state", "turn_search", "turn_search_words"}


def _expected_tables(engine: Engine) -> set[str]:
    extra = SQLITE_SEARCH_TABLES if engine.dialect.name == "sqlite" else POSTGRES_SEARCH_TABLES
    return APP_MODEL_TABLES | {"alembic_version"} | extra


@pytest.fixture(params=BACKENDS)
def empty_engine(
    request: pytest.FixtureRequest, fresh_database_url: Callable[[str], str]
) -> Iterator[Engine]:
    engine = build_engine(fresh_database_url(request.param))
    yield engine
    engine.dispose()


def _heads(engine: Engine) -> list[str]:
    return list(ScriptDirectory.from_config(migrate.alembic_config(engine)).get_heads())


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _diffs(engine: Engine, *, tables: set[str] | None = None) -> list:
    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if tables is None or type_ != "table":
            return True
        return name in tables

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        return compare_metadata(context, app_models.metadata)


def _declared_table_models() -> dict[str, str]:
    """Table name -> file of every `class X(SQLModel, table=True)` under app/, read from the source so that
    nothing is imported (importing would add tables to the shared metadata of the whole test session)."""
    found: dict[str, str] = {}
    for path in sorted(APP_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.ClassDef):
                continue
            is_table = any(
                k.arg == "table" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
            if not is_table:
                continue
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                targets = [t.id for t in statement.targets if isinstance(t, ast.Name)]
                if "__tablename__" in targets and isinstance(statement.value, ast.Constant):
                    found[str(statement.value.value)] = str(path.relative_to(APP_DIR.parent))
    return found


class TestHistory:
    def test_single_head(self, tmp_path: Path) -> None:
        engine = build_engine(f"sqlite:///{tmp_path / 'heads.db'}")
        assert len(_heads(engine)) == 1

    def test_every_revision_has_a_downgrade_path_to_base(self, tmp_path: Path) -> None:
        script = ScriptDirectory.from_config(
            migrate.alembic_config(build_engine(f"sqlite:///{tmp_path / 'h.db'}"))
        )
        revisions = list(script.walk_revisions("base", "heads"))
        assert revisions, "no migrations at all"
        # Walking from head to base visits one revision without a parent: the initial schema.
        assert [r.revision for r in revisions if r.down_revision is None] == [revisions[-1].revision]


class TestUpgradeDowngrade:
    def test_upgrade_creates_every_model_table_at_head(self, empty_engine: Engine) -> None:
        assert _tables(empty_engine) == set()
        migrate.upgrade(empty_engine)
        assert _tables(empty_engine) == _expected_tables(empty_engine)
        assert _current_revision(empty_engine) == _heads(empty_engine)[0]

    def test_downgrade_to_base_then_upgrade_again(self, empty_engine: Engine) -> None:
        migrate.upgrade(empty_engine)
        with empty_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO app_setting (key, value, updated_at) "
                    "VALUES ('detection_threshold', '0.5', '2026-01-01 00:00:00')"
                )
            )

        migrate.downgrade(empty_engine, "base")
        assert _tables(empty_engine) <= {"alembic_version"}
        assert _current_revision(empty_engine) is None

        migrate.upgrade(empty_engine, "head")
        assert _tables(empty_engine) == _expected_tables(empty_engine)
        assert _current_revision(empty_engine) == _heads(empty_engine)[0]
        assert _diffs(empty_engine, tables=APP_MODEL_TABLES) == []
        with empty_engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM app_setting")).scalar_one() == 0

    def test_upgrade_twice_is_a_no_op(self, empty_engine: Engine) -> None:
        migrate.upgrade(empty_engine)
        migrate.upgrade(empty_engine)
        assert _current_revision(empty_engine) == _heads(empty_engine)[0]


class TestModelsMatchSchema:
    def test_app_models_match_the_migrated_schema(self, migrated_engine: Engine) -> None:
        assert _diffs(migrated_engine, tables=APP_MODEL_TABLES) == []

    def test_the_comparison_sees_a_schema_drift(self, tmp_path: Path) -> None:
        """Guards the check itself: a dropped index and a retyped column must show up as diffs."""
        engine = build_engine(f"sqlite:///{tmp_path / 'drift.db'}")
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_conversation_created_at"))
            connection.execute(text("ALTER TABLE job ADD COLUMN stray INTEGER"))
        kinds = sorted(diff[0] for diff in _diffs(engine, tables=APP_MODEL_TABLES))
        engine.dispose()
        assert kinds == ["add_index", "remove_column"]

    def test_every_table_model_in_the_app_is_registered_and_migrated(self) -> None:
        """A table model anywhere under app/ must be imported by app/models.py (so Alembic sees it) and
        therefore created by the migrations (checked by the tests above)."""
        declared = _declared_table_models()
        assert set(declared) >= APP_MODEL_TABLES
        missing = {name: where for name, where in declared.items() if name not in APP_MODEL_TABLES}
        assert missing == {}, "table models missing from app/models.py and the migrations"


def _turn_compression(engine: Engine) -> dict[str, str]:
    """Each of `turn`'s big columns' compression method ('l' LZ4, 'p' pglz, '' the server's default)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT attname, attcompression FROM pg_attribute "
                "WHERE attrelid = 'turn'::regclass AND attname IN ('text', 'blocks')"
            )
        )
        return {name: str(method or "") for name, method in rows}


@pytest.mark.parametrize("empty_engine", [BACKENDS[1]], indirect=True)
class TestTurnCompression:
    """f3a81c2d9b57: turn text and blocks are compressed with LZ4 on PostgreSQL (pglz took twice the time)."""

    def test_new_turns_are_compressed_with_lz4_and_downgrade_restores_the_default(
        self, empty_engine: Engine
    ) -> None:
        migrate.upgrade(empty_engine)
        assert _turn_compression(empty_engine) == {"text": "l", "blocks": "l"}
        long_text = " ".join(f"word{i}" for i in range(2_000))  # over the 2 KB at which values are compressed
        with empty_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO conversation (source, format, file, external_id, content_hash, turn_count, "
                    "created_at) VALUES ('t', 'openai', 'f', 'x', 'h', 1, now())"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO turn (conversation_id, index, role, text, blocks) SELECT id, 0, 'assistant', "
                    ":body, CAST(:blocks AS jsonb) FROM conversation"
                ),
                {"body": long_text, "blocks": f'[{{"type": "text", "text": "{long_text}"}}]'},
            )
            methods = connection.execute(
                text("SELECT pg_column_compression(text), pg_column_compression(blocks) FROM turn")
            ).one()
        assert tuple(methods) == ("lz4", "lz4")

        migrate.downgrade(empty_engine, "ea13fcca05a3")
        assert _turn_compression(empty_engine) == {"text": "", "blocks": ""}
        with empty_engine.connect() as connection:  # what was written stays readable
            assert connection.execute(text("SELECT text FROM turn")).scalar_one() == long_text
