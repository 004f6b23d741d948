"""The SQLite full-text index (FTS5): filled by a job behind the imports, never inside them.

Migration b7c2915ed1c4 creates external-content FTS5 tables over turn text and conversation titles and a
watermark per index (`search_index_state.indexed_to`). Rows at or below the watermark are in the index;
rows above it are not yet, and search (app/conversations/search.py) reads them with LIKE, so a search
right after an import still finds everything. The `search_index` job indexes the rows above the
watermark in short transactions of CHUNK_ROWS rows (each holds SQLite's write lock for a fraction of a
second, so reviewers' verdicts are not held up), and raises the watermark in the same transaction. Delete
and update triggers keep indexed rows exact. PostgreSQL has GIN indexes instead: everything here is a
no-op there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from app.db import session_scope
from app.jobs.models import ACTIVE, Job
from app.jobs.runner import JobContext, handler, on_recover

log = logging.getLogger(__name__)

JOB = "search_index"
# Rows per transaction: about 0.1-0.3 s of FTS5 work on a small machine.
CHUNK_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class FtsIndex:
    name: str  # the FTS5 table
    table: str  # its content table
    column: str  # the indexed column


# The migration's tables, in the order the job fills them.
INDEXES = (FtsIndex("turn_fts", "turn", "text"), FtsIndex("conversation_fts", "conversation", "title"))
TURNS, TITLES = INDEXES


@dataclass(slots=True)
class IndexState:
    index: FtsIndex
    indexed_to: int  # every row with an id at or below this is in the index
    top: int  # the table's highest id

    @property
    def pending(self) -> int:
        """An upper bound of the rows not yet indexed (ids above the watermark)."""
        return max(0, self.top - self.indexed_to)


def has_fts(session: Session) -> bool:
    """The database has the FTS5 tables (SQLite, migrated to b7c2915ed1c4 or later)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    found = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_index_state'")
    ).first()
    return found is not None


def index_states(session: Session) -> list[IndexState]:
    """Watermark and highest id of each index; empty when the database has no FTS5 index."""
    if not has_fts(session):
        return []
    marks = dict(session.execute(text("SELECT name, indexed_to FROM search_index_state")).all())
    states = []
    for index in INDEXES:
        top = session.execute(text(f"SELECT coalesce(max(id), 0) FROM {index.table}")).scalar_one()
        states.append(IndexState(index=index, indexed_to=int(marks.get(index.name, 0)), top=int(top)))
    return states


def index_chunk(session: Session, *, index: FtsIndex, rows: int = CHUNK_ROWS) -> int:
    """Index up to `rows` rows above `index`'s watermark and raise it past them; how many were indexed.

    Reads the watermark inside the write transaction, so two indexers (a job and the CLI) never add a
    row twice: SQLite runs their transactions one after the other.
    """
    mark = int(
        session.execute(
            text("SELECT indexed_to FROM search_index_state WHERE name = :name"), {"name": index.name}
        ).scalar_one()
    )
    upper = session.execute(
        text(
            f"SELECT max(id), count(*) FROM (SELECT id FROM {index.table} WHERE id > :mark ORDER BY id LIMIT :n)"
        ),
        {"mark": mark, "n": rows},
    ).one()
    if not upper[1]:
        return 0
    session.execute(
        text(
            f"INSERT INTO {index.name} (rowid, {index.column}) "
            f"SELECT id, {index.column} FROM {index.table} WHERE id > :mark AND id <= :upper ORDER BY id"
        ),
        {"mark": mark, "upper": upper[0]},
    )
    session.execute(
        text("UPDATE search_index_state SET indexed_to = :upper WHERE name = :name"),
        {"upper": upper[0], "name": index.name},
    )
    return int(upper[1])


@dataclass(slots=True)
class IndexResult:
    indexed: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"indexed": dict(self.indexed)}


def index_pending(
    engine: Engine, *, rows: int = CHUNK_ROWS, progress: Callable[[int, int], None] | None = None
) -> IndexResult:
    """Index every row above the watermarks, one short transaction per chunk (SQLite; no-op elsewhere).

    `progress(done, total)` is called after each chunk (the job reports it and stops there when cancelled).
    """
    with session_scope(engine, read_only=True) as session:
        states = index_states(session)
    total = sum(s.pending for s in states)
    indexed = {s.index.name: 0 for s in states}
    done = 0
    for state in states:
        while True:
            with session_scope(engine) as session:
                n = index_chunk(session, index=state.index, rows=rows)
            if not n:
                break
            indexed[state.index.name] += n
            done += n
            if progress is not None:
                progress(min(done, total), max(done, total))
    return IndexResult(indexed=indexed)


def rebuild(engine: Engine) -> IndexResult:
    """Rebuild both indexes from their tables in one transaction (repairs an index after manual edits)."""
    indexed: dict[str, int] = {}
    with session_scope(engine) as session:
        if not has_fts(session):
            return IndexResult(indexed={})
        for index in INDEXES:
            session.execute(text(f"INSERT INTO {index.name} ({index.name}) VALUES ('rebuild')"))
            top, count = session.execute(
                text(f"SELECT coalesce(max(id), 0), count(*) FROM {index.table}")
            ).one()
            session.execute(
                text("UPDATE search_index_state SET indexed_to = :top WHERE name = :name"),
                {"top": top, "name": index.name},
            )
            indexed[index.name] = int(count)
    return IndexResult(indexed=indexed)


def integrity_problems(engine: Engine) -> list[str]:
    """FTS5's own check of each index (empty when both are sound).

    A caught-up index is checked against its table too; one with rows waiting is checked on its own
    (its table holds rows it does not have yet, which that comparison would report as damage).
    """
    problems = []
    with session_scope(engine) as session:
        for state in index_states(session):
            name, against_table = state.index.name, int(state.pending == 0)
            try:
                session.execute(
                    text(f"INSERT INTO {name} ({name}, rank) VALUES ('integrity-check', :against)"),
                    {"against": against_table},
                )
            except DBAPIError as exc:  # SQLite reports a damaged index as "database disk image is malformed"
                problems.append(f"{name}: {exc.orig}")
    return problems


def request_indexing(session: Session, *, user_id: int | None = None) -> Job | None:
    """A queued `search_index` job when rows wait to be indexed and none is queued already.

    Only a queued job counts: a running one may have passed the rows just added. The caller enqueues the
    returned job after its transaction commits.
    """
    from app.jobs.service import create_job

    if not any(s.pending for s in index_states(session)):
        return None
    queued = session.exec(select(Job).where(col(Job.kind) == JOB, col(Job.status) == "queued")).first()
    if queued is not None:
        return None
    return create_job(session, kind=JOB, payload={}, user_id=user_id)


def enqueue_indexing(engine: Engine, *, user_id: int | None = None) -> int | None:
    """Create (when needed) and enqueue a `search_index` job; its id."""
    from app.jobs.service import enqueue

    with session_scope(engine) as session:
        job = request_indexing(session, user_id=user_id)
        job_id = job.id if job is not None else None
    if job_id is not None:
        enqueue(job_id)
    return job_id


@handler(JOB)
def search_index_job(ctx: JobContext) -> dict[str, Any]:
    ctx.progress(0, None, message="indexing new turns and titles for search")
    return index_pending(ctx.engine, progress=lambda done, total: ctx.progress(done, total)).to_json()


@on_recover
def catch_up(engine: Engine) -> int | None:
    """At worker start and every minute: queue indexing of rows a CLI import (or a lost job) left behind."""
    with session_scope(engine, read_only=True) as session:
        if not has_fts(session):
            return None
        lagging = any(s.pending for s in index_states(session))
        busy = session.exec(
            select(Job.id).where(col(Job.kind) == JOB, col(Job.status).in_(list(ACTIVE)))
        ).first()
    if not lagging or busy is not None:
        return None
    return enqueue_indexing(engine)
