"""Alembic wiring: a Config built in code, so no alembic.ini is needed."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from app.db import get_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([0-9A-Za-z_]+)[\"']")


@cache
def file_heads() -> frozenset[str]:
    """The head revisions of migrations/versions, read from the files' text without importing Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).update(_QUOTED.findall(value))
    return frozenset(revisions - parents)


def is_current(engine: Engine) -> bool:
    """The database is at the single head already (one query; False when unsure)."""
    heads = file_heads()
    if len(heads) != 1:
        return False
    try:
        with engine.connect() as connection:
            stored = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except DBAPIError:
        return False
    return set(stored) == heads


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    engine = engine or get_engine()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` (head by default) on the given engine.

    Every command calls this; when the schema is current it costs one query, and Alembic (a third of
    the command's start-up) is not even imported.
    """
    engine = engine or get_engine()
    if revision == "head" and is_current(engine):
        return
    from alembic import command

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine | None = None, revision: str = "base") -> None:
    from alembic import command

    engine = engine or get_engine()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def revision(message: str, engine: Engine | None = None) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    from alembic import command

    engine = engine or get_engine()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def prepare(engine: Engine | None = None) -> None:
    """Upgrade the schema, then the first-run data every mode needs: the default pattern taxonomy.

    Without it, tagging on an install set up as the README says fails with "unknown patterns".
    """
    from sqlalchemy import func, select

    from app.db import session_scope
    from app.patterns.models import TaxonomyVersion
    from app.patterns.service import seed_defaults

    engine = engine or get_engine()
    upgrade(engine)
    # A read first: once seeded (every start but the first), no command takes the write lock just to check.
    with session_scope(engine, read_only=True) as session:
        seeded = session.execute(select(func.count()).select_from(TaxonomyVersion)).scalar_one() > 0
    if not seeded:
        with session_scope(engine) as session:
            seed_defaults(session)
