"""Alembic wiring: a Config built in code, so no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from app.db import get_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    engine = engine or get_engine()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` (head by default) on the given engine."""
    engine = engine or get_engine()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine | None = None, revision: str = "base") -> None:
    engine = engine or get_engine()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def revision(message: str, engine: Engine | None = None) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    engine = engine or get_engine()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def prepare(engine: Engine | None = None) -> None:
    """Upgrade the schema, then the first-run data every mode needs: the default pattern taxonomy.

    Without it, tagging on an install set up as the README says fails with "unknown patterns".
    """
    from app.db import session_scope
    from app.patterns.service import seed_defaults

    engine = engine or get_engine()
    upgrade(engine)
    with session_scope(engine) as session:
        seed_defaults(session)
