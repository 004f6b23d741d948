"""The full-text index of search, filled by a job behind the imports, never inside them (both backends).

SQLite: external-content FTS5 tables over turn text and conversation titles (migration b7c2915ed1c4).
PostgreSQL: a side table `turn_search` holding each turn's `to_tsvector('simple', text)` under a GIN index
(migration 13be455bd874) and the pairs of adjacent words of that vector under another (c5d7e9a1b3f2), and
each distinct word of those vectors once in `turn_search_words` (8c4f1e6b3a90);
titles keep their GIN expression index (short, cheap to index on insert). The vectors stored before the pairs
existed get theirs from the same job, behind the new rows (`fill_pairs_round`); search finds them by their
words meanwhile.
Each index has a watermark (`search_index_state.indexed_to`): rows at or below it are in the index; rows
above it are not yet, and search (app/conversations/search.py) reads them with LIKE / ILIKE, so a search
right after an import still finds everything. The `search_index` job indexes the rows above the watermark
in short transactions of CHUNK_ROWS rows (on SQLite each holds the write lock for a fraction of a second,
so reviewers' verdicts are not held up) and raises the watermark in the same transaction. On PostgreSQL,
where computing the vectors and their GIN entries is the server's CPU work, it stores several chunks side
by side, each in its own connection, and raises the watermark past them once all have committed
(`index_round`). Triggers keep
indexed rows exact when they change; deleting a turn deletes its index entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, col, select

from app.config import get_settings
from app.db import session_scope
from app.jobs.models import ACTIVE, Job
from app.jobs.runner import JobContext, handler, on_recover

log = logging.getLogger(__name__)

JOB = "search_index"
# Rows per transaction: about 0.1-0.3 s of FTS5 work, or of to_tsvector on PostgreSQL, on a small machine.
CHUNK_ROWS = 5_000
# PostgreSQL: a tsvector holds at most 1 MB; a text of this many bytes always fits (its vector is at most
# about 2.5 times its size). When a chunk holds a turn that does not fit, its turns longer than this are
# stored with a NULL vector and searched with ILIKE.
FITS_A_VECTOR = 256 * 1024
# PostgreSQL's work_mem for an indexing transaction (`index_chunk`).
INDEX_WORK_MEM = "32MB"
# After indexing this many rows the job refreshes PostgreSQL's statistics of `turn_search`: search reads
# its most common words there, and autovacuum may be off or far from its threshold.
ANALYZE_AFTER_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class FtsIndex:
    name: str  # the index table: FTS5 on SQLite, the vector side table on PostgreSQL
    table: str  # its content table
    column: str  # the indexed column


TURNS = FtsIndex("turn_fts", "turn", "text")
TITLES = FtsIndex("conversation_fts", "conversation", "title")
TURN_VECTORS = FtsIndex("turn_search", "turn", "text")
# PostgreSQL: every distinct word of the stored vectors, once (migration 8c4f1e6b3a90).
TURN_WORDS = "turn_search_words"
# PostgreSQL: the state row of the vectors stored before they had pairs, while the job fills their pairs;
# its `indexed_to` is a cursor: every vector up to that turn id has the pairs it should (migration c5d7e9a1b3f2).
PAIRS_CURSOR = "turn_search_pairs"
# Each backend's job-filled indexes, in the order the job fills them.
INDEXES = {"sqlite": (TURNS, TITLES), "postgresql": (TURN_VECTORS,)}


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
    """The database has the job-filled index (SQLite from b7c2915ed1c4, PostgreSQL from 13be455bd874)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_index_state'"
    elif dialect == "postgresql":
        query = "SELECT 1 WHERE to_regclass('search_index_state') IS NOT NULL"
    else:
        return False
    return session.execute(text(query)).first() is not None


def indexes_of(session: Session) -> tuple[FtsIndex, ...]:
    """This database's job-filled indexes (none before its migration)."""
    return INDEXES[session.get_bind().dialect.name] if has_fts(session) else ()


def index_states(session: Session) -> list[IndexState]:
    """Watermark and highest id of each index; empty when the database has no job-filled index."""
    indexes = indexes_of(session)
    if not indexes:
        return []
    marks = dict(session.execute(text("SELECT name, indexed_to FROM search_index_state")).all())
    states = []
    for index in indexes:
        top = session.execute(text(f"SELECT coalesce(max(id), 0) FROM {index.table}")).scalar_one()
        states.append(IndexState(index=index, indexed_to=int(marks.get(index.name, 0)), top=int(top)))
    return states


def committed_top(engine: Engine, *, index: FtsIndex) -> int:
    """The highest id of `index`'s table under which no new row can still appear.

    SQLite has one writer at a time: its highest id. On PostgreSQL concurrent imports draw ids from one
    sequence and may commit out of order, and a watermark raised past a row that commits later would hide
    that row from the index for good. LOCK ... IN SHARE MODE waits until every transaction that inserted
    into the table, or drew ids for it (app/conversations/service.py takes the table's insert lock first),
    has ended, and holds new ones off only while the maximum is read.
    """
    with session_scope(engine) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"LOCK TABLE {index.table} IN SHARE MODE"))
        return int(session.execute(text(f"SELECT coalesce(max(id), 0) FROM {index.table}")).scalar_one())


def index_chunk(session: Session, *, index: FtsIndex, upper: int, rows: int = CHUNK_ROWS) -> int:
    """Index up to `rows` rows above `index`'s watermark and at most `upper`, and raise the watermark past
    them; how many were indexed.

    Reads the watermark inside the write transaction, so two indexers (a job and the CLI) never add a row
    twice: SQLite runs their transactions one after the other; on PostgreSQL the second waits for the
    state row (FOR UPDATE) and then reads the watermark the first one left.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    lock = " FOR UPDATE" if postgres else ""
    mark = int(
        session.execute(
            text(f"SELECT indexed_to FROM search_index_state WHERE name = :name{lock}"), {"name": index.name}
        ).scalar_one()
    )
    chunk = session.execute(
        text(
            f"SELECT max(id), count(*) FROM (SELECT id FROM {index.table} WHERE id > :mark AND id <= :upper "
            "ORDER BY id LIMIT :n) AS chunk"
        ),
        {"mark": mark, "upper": upper, "n": rows},
    ).one()
    if not chunk[1]:
        return 0
    bounds = {"mark": mark, "upper": chunk[0]}
    if postgres:
        # GIN sorts its pending entries into the index within work_mem: inserting the pairs of 200,000 turns
        # took 6.5 to 7.0 s with 4 MB (the default), 5.4 to 5.6 s with 16 MB or more; a rebuild at 200,000
        # conversations 122 s against 112 s.
        session.execute(text(f"SET LOCAL work_mem = '{INDEX_WORK_MEM}'"))
        _insert_vectors(session, index=index, bounds=bounds)  # its triggers list the new words
    else:
        session.execute(
            text(
                f"INSERT INTO {index.name} (rowid, {index.column}) "
                f"SELECT id, {index.column} FROM {index.table} WHERE id > :mark AND id <= :upper ORDER BY id"
            ),
            bounds,
        )
    session.execute(
        text("UPDATE search_index_state SET indexed_to = :upper WHERE name = :name"),
        {"upper": chunk[0], "name": index.name},
    )
    return int(chunk[1])


def _insert_vectors(session: Session, *, index: FtsIndex, bounds: dict[str, int]) -> None:
    """The vectors of the turns in `bounds` (PostgreSQL), NULL for a turn too long for a tsvector, and the
    pairs of adjacent words of each vector that holds every position (migration c5d7e9a1b3f2)."""
    vector = f"to_tsvector('simple'::regconfig, {index.column})"
    # OFFSET 0: each vector computed once, not once for each use of it above.
    insert = (
        f"INSERT INTO {index.name} (turn_id, vector, exact_positions, pairs) "
        "SELECT id, vector, exact, CASE WHEN exact THEN turn_search_pairs(vector) END FROM ("
        f"SELECT id, vector, turn_search_exact({index.column}, vector) AS exact FROM ("
        f"SELECT id, {index.column}, {{vector}} AS vector FROM {index.table} "
        "WHERE id > :mark AND id <= :upper OFFSET 0) AS chunk OFFSET 0) AS checked"
    )
    # A round cut short between its chunks' commits and the watermark's left their vectors above the
    # watermark (`index_round`), where nothing else writes: they are stored again from the turns as they are.
    session.execute(text(f"DELETE FROM {index.name} WHERE turn_id > :mark AND turn_id <= :upper"), bounds)
    try:
        with session.begin_nested():
            session.execute(text(insert.format(vector=vector)), bounds)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != "54000":  # program_limit_exceeded: "string is too long"
            raise
        guarded = f"CASE WHEN octet_length({index.column}) <= {FITS_A_VECTOR} THEN {vector} END"
        session.execute(text(insert.format(vector=guarded)), bounds)


def index_round(engine: Engine, *, index: FtsIndex, upper: int, rows: int, connections: int) -> int:
    """PostgreSQL: index up to `connections` chunks of `rows` rows above the watermark and at most `upper`,
    side by side (`_side_by_side`), then raise the watermark past them all; how many rows were indexed.

    The lead transaction holds the state row (FOR UPDATE) from reading the watermark to raising it: a
    second indexer waits for the round, and the update trigger of a turn edited meanwhile waits for the new
    watermark, then rewrites the turn's vector. A round cut short after some chunks committed leaves vectors
    above the watermark; the next round stores them again (`_insert_vectors` replaces them).
    """
    with session_scope(engine) as lead:
        mark = _state(lead, index.name, lock=True)
        assert mark is not None  # every index has its state row from its migration on
        ids = list(
            lead.execute(
                text(f"SELECT id FROM {index.table} WHERE id > :mark AND id <= :upper ORDER BY id LIMIT :n"),
                {"mark": mark, "upper": upper, "n": rows * connections},
            ).scalars()
        )
        if not ids:
            return 0

        def store(session: Session, bounds: dict[str, int]) -> None:
            _insert_vectors(session, index=index, bounds=bounds)

        last = _side_by_side(engine, lead, ids=ids, start=mark, rows=rows, store=store)
        _raise_state(lead, index.name, last)
    return len(ids)


def fill_pairs_round(engine: Engine, *, rows: int = CHUNK_ROWS, connections: int = 1) -> int | None:
    """PostgreSQL: fill the pairs of up to `connections` chunks of `rows` vectors stored before they had
    any, past the cursor, side by side (`_side_by_side`), and move the cursor past them; how many vectors
    were looked at, None when none was left (the cursor row is then deleted).

    The lead transaction holds the cursor row, so two fillers (the job and the CLI) take turns. A vector
    that keeps no exact positions has no pairs and is passed over; one whose turn was edited meanwhile has
    its pairs from the trigger already (`pairs IS NULL` is checked again under the row's lock). A round cut
    short after some chunks committed leaves the cursor behind them: the next round passes them over.
    """
    with session_scope(engine) as lead:
        cursor = _state(lead, PAIRS_CURSOR, lock=True)
        if cursor is None:
            return None
        ids = list(
            lead.execute(
                text(
                    f"SELECT turn_id FROM {TURN_VECTORS.name} WHERE pairs IS NULL AND turn_id > :cursor "
                    "ORDER BY turn_id LIMIT :n"
                ),
                {"cursor": cursor, "n": rows * connections},
            ).scalars()
        )
        if not ids:
            lead.execute(text("DELETE FROM search_index_state WHERE name = :name"), {"name": PAIRS_CURSOR})
            return None
        last = _side_by_side(engine, lead, ids=ids, start=cursor, rows=rows, store=_fill_pairs)
        _raise_state(lead, PAIRS_CURSOR, last)
    return len(ids)


def _fill_pairs(session: Session, bounds: dict[str, int]) -> None:
    session.execute(
        text(
            f"UPDATE {TURN_VECTORS.name} SET pairs = turn_search_pairs(vector) "
            "WHERE turn_id > :mark AND turn_id <= :upper AND pairs IS NULL AND exact_positions"
        ),
        bounds,
    )


def _state(session: Session, name: str, *, lock: bool = False) -> int | None:
    """The `indexed_to` of state row `name` (None: no such row); with `lock`, the row stays locked until the
    transaction ends."""
    value = session.execute(
        text(
            "SELECT indexed_to FROM search_index_state WHERE name = :name" + (" FOR UPDATE" if lock else "")
        ),
        {"name": name},
    ).scalar_one_or_none()
    return None if value is None else int(value)


def _raise_state(session: Session, name: str, value: int) -> None:
    session.execute(
        text("UPDATE search_index_state SET indexed_to = :value WHERE name = :name"),
        {"value": value, "name": name},
    )


def _side_by_side(
    engine: Engine,
    lead: Session,
    *,
    ids: list[int],
    start: int,
    rows: int,
    store: Callable[[Session, dict[str, int]], None],
) -> int:
    """Cut `ids` (ascending, all above `start`) into chunks of `rows` and `store` each one, as the id range
    {"mark": after, "upper": to}; the last id.

    More than one chunk: each in its own connection and transaction at the same time (so in its own server
    process, where the work is), committed as soon as it is stored, before the lead's. Two chunks that list
    the same new word wait for each other's commit; a chunk held open until the lead commits would hold the
    other up for good. One chunk: in the lead's transaction.
    """
    chunks = [
        {"mark": ids[first - 1] if first else start, "upper": ids[min(first + rows, len(ids)) - 1]}
        for first in range(0, len(ids), rows)
    ]
    if len(chunks) == 1:
        lead.execute(text(f"SET LOCAL work_mem = '{INDEX_WORK_MEM}'"))
        store(lead, chunks[0])
    else:
        with ThreadPoolExecutor(len(chunks), thread_name_prefix="search-index") as pool:
            stored = [pool.submit(_store_chunk, engine, store=store, bounds=bounds) for bounds in chunks]
        for future in stored:
            future.result()  # the first error, after every chunk has ended
    return ids[-1]


def _store_chunk(
    engine: Engine, *, store: Callable[[Session, dict[str, int]], None], bounds: dict[str, int]
) -> None:
    """One chunk of a round (`_side_by_side`), in its own transaction."""
    with session_scope(engine) as session:
        session.execute(text(f"SET LOCAL work_mem = '{INDEX_WORK_MEM}'"))
        store(session, bounds)


def _pool_capacity(engine: Engine) -> int | None:
    """How many connections `engine`'s pool hands out at once; None when it sets no bound."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None
    overflow = int(pool._max_overflow)  # not exposed otherwise; negative: no bound
    return None if overflow < 0 else pool.size() + overflow


def pairs_cursor(session: Session) -> int | None:
    """PostgreSQL: how far the job has filled the pairs of the vectors stored before they had any (a turn id),
    or None when there are none left to fill (and on SQLite)."""
    if session.get_bind().dialect.name != "postgresql" or not has_fts(session):
        return None
    return _state(session, PAIRS_CURSOR)


def fill_pairs(
    engine: Engine,
    *,
    rows: int = CHUNK_ROWS,
    connections: int = 1,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Fill every pair the cursor still has ahead of it, in rounds of `connections` short transactions side
    by side (`fill_pairs_round`); how many vectors were looked at. When done, VACUUM ANALYZE `turn_search`:
    each filled row left a dead version behind (and its vector's entries in the GIN index of the vectors),
    and search reads the pairs' statistics. `progress(done)` is called after each round."""
    done = 0
    while True:
        n = fill_pairs_round(engine, rows=rows, connections=connections)
        if n is None:
            break
        done += n
        if progress is not None:
            progress(done)
    if done:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {TURN_VECTORS.name}")
    return done


@dataclass(slots=True)
class IndexResult:
    indexed: dict[str, int]
    # PostgreSQL: vectors stored before they had pairs that this run filled; None when none were waiting.
    pairs_filled: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"indexed": dict(self.indexed)}
        if self.pairs_filled is not None:
            data["pairs_filled"] = self.pairs_filled
        return data


def index_pending(
    engine: Engine,
    *,
    rows: int = CHUNK_ROWS,
    progress: Callable[[int, int], None] | None = None,
    connections: int | None = None,
) -> IndexResult:
    """Index the rows above the watermarks that were there when it started, one short transaction per chunk
    (on PostgreSQL `connections` chunks side by side, `index_round`; the setting search_index_connections
    when None).

    Rows that arrive meanwhile wait for the next job (an import queues one when it ends; the worker's
    catch-up every minute queues one for the rest). Then, on PostgreSQL, the pairs of the vectors stored
    before they had any (`fill_pairs`). `progress(done, total)` is called after each chunk (the job reports
    it and stops there when cancelled).
    """
    with session_scope(engine, read_only=True) as session:
        indexes = indexes_of(session)
    tops = {index.name: committed_top(engine, index=index) for index in indexes}
    with session_scope(engine, read_only=True) as session:
        states = index_states(session)
        cursor = pairs_cursor(session)
        unpaired = 0
        if cursor is not None:  # at most: the vectors past the cursor
            top = session.execute(
                text(f"SELECT coalesce(max(turn_id), 0) FROM {TURN_VECTORS.name}")
            ).scalar_one()
            unpaired = max(0, int(top) - cursor)
    total = sum(max(0, tops[s.index.name] - s.indexed_to) for s in states) + unpaired
    indexed = {s.index.name: 0 for s in states}
    done = 0
    postgres = engine.dialect.name == "postgresql"
    side_by_side = connections if connections is not None else get_settings().search_index_connections
    capacity = _pool_capacity(engine)
    if capacity is not None:  # a round holds one connection more than its chunks: never wait for its own pool
        side_by_side = max(1, min(side_by_side, capacity - 1))
    for state in states:
        while True:
            upper = tops[state.index.name]
            if postgres:
                n = index_round(engine, index=state.index, upper=upper, rows=rows, connections=side_by_side)
            else:
                with session_scope(engine) as session:
                    n = index_chunk(session, index=state.index, upper=upper, rows=rows)
            if not n:
                break
            indexed[state.index.name] += n
            done += n
            if progress is not None:
                progress(min(done, total), max(done, total))
    if postgres and done >= ANALYZE_AFTER_ROWS:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"ANALYZE {TURN_VECTORS.name}")
    if cursor is None:
        return IndexResult(indexed=indexed)
    indexed_rows = done

    def report(filled: int) -> None:
        if progress is not None:
            progress(min(indexed_rows + filled, total), max(indexed_rows + filled, total))

    filled = fill_pairs(engine, rows=rows, connections=side_by_side, progress=report)
    return IndexResult(indexed=indexed, pairs_filled=filled)


def request_indexing(session: Session, *, user_id: int | None = None) -> Job | None:
    """A queued `search_index` job when rows wait to be indexed (or vectors their pairs) and none is queued
    already.

    Only a queued job counts: a running one may have passed the rows just added. The caller enqueues the
    returned job after its transaction commits.
    """
    from app.jobs.service import create_job

    if not any(s.pending for s in index_states(session)) and pairs_cursor(session) is None:
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
    """At worker start and every minute: queue indexing of rows a CLI import (or a lost job) left behind, and
    the filling of the pairs a migration left to the job."""
    with session_scope(engine, read_only=True) as session:
        if not has_fts(session):
            return None
        lagging = any(s.pending for s in index_states(session)) or pairs_cursor(session) is not None
        busy = session.exec(
            select(Job.id).where(col(Job.kind) == JOB, col(Job.status).in_(list(ACTIVE)))
        ).first()
    if not lagging or busy is not None:
        return None
    return enqueue_indexing(engine)
