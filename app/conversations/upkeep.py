"""Import upkeep: batches whose process died marked failed, and PostgreSQL's statistics refreshed after imports."""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import Engine, Table, select, update
from sqlmodel import Session, col

from app.conversations.models import ImportBatch
from app.conversations.service import CONVERSATION_TABLE, TURN_TABLE
from app.db import session_scope
from app.liveness import owner_gone
from app.models_base import utcnow
from app.pairs.service import PAIR_TABLE

log = logging.getLogger(__name__)


def fail_stale_batches(session: Session, *, now: datetime) -> list[int]:
    """Mark `running` batches whose process died (kill -9, machine lost) failed; their ids.

    Stored conversations are whole (one transaction per chunk): importing the same files again adds the
    rest, and what is already stored counts as duplicates.
    """
    running = session.execute(
        select(col(ImportBatch.id), col(ImportBatch.owner), col(ImportBatch.heartbeat_at)).where(
            col(ImportBatch.status) == "running"
        )
    ).all()
    stale = [row.id for row in running if owner_gone(row.owner, row.heartbeat_at, now=now)]
    if stale:
        session.execute(
            update(ImportBatch)
            .where(col(ImportBatch.id).in_(stale))
            .values(status="failed", finished_at=now,
                    message="interrupted: the importing process stopped; import the same files again to resume")
        )  # fmt: skip
    return stale


def reap_stale_batches(engine: Engine) -> list[int]:
    """Fail import batches whose owning process died (a killed `pairwise import`, say); their ids."""
    with session_scope(engine) as session:
        stale = fail_stale_batches(session, now=utcnow())
    if stale:
        log.warning("import batches marked failed after their process stopped: %s", stale)
    return stale


def analyze_imported(engine: Engine, *, pairs_only: bool = False) -> None:
    """Refresh PostgreSQL's statistics of the tables an import fills.

    Without them the planner guesses (search picks its plan from them; a fresh table looks empty), and a
    server with autovacuum off, or one that has not reached its threshold yet, never refreshes them.
    `pairs_only`: the pair table alone, as a long import goes (each chunk looks its content keys up there,
    and a pair table believed empty is scanned whole for every chunk).
    """
    if engine.dialect.name != "postgresql":
        return
    if pairs_only:
        _analyze(engine, PAIR_TABLE)
        return
    # Each table on its own connection, side by side: an import ends with this, once its workers are done
    # and the server's cores idle (W1: 150 -> 80 ms on two cores; the turn and conversation tables take
    # about 65 ms each, the pair table 10).
    tables = [CONVERSATION_TABLE, TURN_TABLE, PAIR_TABLE]
    with ThreadPoolExecutor(max_workers=len(tables), thread_name_prefix="analyze") as pool:
        list(pool.map(functools.partial(_analyze, engine), tables))


def _analyze(engine: Engine, table: Table) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(f'ANALYZE "{table.name}"')
