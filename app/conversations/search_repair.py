"""Checking and rebuilding the full-text index of search (`pairwise search status | reindex --rebuild`)."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from app.conversations.search_index import (
    PAIRS_CURSOR,
    TURN_VECTORS,
    TURN_WORDS,
    IndexResult,
    index_pending,
    index_states,
    indexes_of,
    pairs_cursor,
)
from app.db import session_scope


def rebuild(engine: Engine) -> IndexResult:
    """Rebuild the indexes from their tables (repairs an index after manual edits).

    SQLite rebuilds both FTS5 tables in one transaction. PostgreSQL empties `turn_search` (and its word list) and lowers its
    watermark to 0 in one transaction, then indexes every turn again in chunks: search stays complete
    meanwhile (turns above the watermark are read with ILIKE). Every vector is stored with its pairs, so no
    pairs are left to fill (`fill_pairs`).
    """
    with session_scope(engine, read_only=True) as session:
        indexes = indexes_of(session)
    if engine.dialect.name == "postgresql" and indexes:
        with session_scope(engine) as session:
            name = {"name": TURN_VECTORS.name}
            # Waits for a running indexer's chunk and holds the next one off until the table is empty.
            session.execute(text("SELECT 1 FROM search_index_state WHERE name = :name FOR UPDATE"), name)
            session.execute(text(f"TRUNCATE {TURN_VECTORS.name}, {TURN_WORDS}"))
            session.execute(text("UPDATE search_index_state SET indexed_to = 0 WHERE name = :name"), name)
            # Every vector is stored again with its pairs: none is left for the filler.
            session.execute(text("DELETE FROM search_index_state WHERE name = :name"), {"name": PAIRS_CURSOR})
        return index_pending(engine)
    indexed: dict[str, int] = {}
    with session_scope(engine) as session:
        for index in indexes:
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
    """What is wrong with the indexes (empty when they are sound).

    SQLite: FTS5's own check of each index. A caught-up index is checked against its table too; one with
    rows waiting is checked on its own (its table holds rows it does not have yet, which that comparison
    would report as damage). PostgreSQL: every turn at or below the watermark has its vector, no
    vector lies above it (one full pass over both tables' ids), a vector has pairs of adjacent words exactly
    when it keeps every position (past the cursor of the pairs still being filled, it may lack them), and
    every word of the vectors is listed in `turn_search_words` (one pass over the vectors).
    """
    with session_scope(engine, read_only=True) as session:
        states = index_states(session)
        postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        if not states:
            return []
        with session_scope(engine, read_only=True) as session:
            cursor = pairs_cursor(session)
        return _postgres_problems(engine, states[0].indexed_to, pairs_cursor=cursor)
    problems = []
    with session_scope(engine) as session:
        for state in states:
            name, against_table = state.index.name, int(state.pending == 0)
            try:
                session.execute(
                    text(f"INSERT INTO {name} ({name}, rank) VALUES ('integrity-check', :against)"),
                    {"against": against_table},
                )
            except DBAPIError as exc:  # SQLite reports a damaged index as "database disk image is malformed"
                problems.append(f"{name}: {exc.orig}")
    return problems


def _postgres_problems(engine: Engine, mark: int, *, pairs_cursor: int | None) -> list[str]:
    name, table = TURN_VECTORS.name, TURN_VECTORS.table
    with session_scope(engine, read_only=True) as session:
        missing = session.execute(
            text(
                f"SELECT count(*) FROM {table} WHERE id <= :mark "
                f"AND NOT EXISTS (SELECT 1 FROM {name} WHERE turn_id = {table}.id)"
            ),
            {"mark": mark},
        ).scalar_one()
        above = session.execute(
            text(f"SELECT count(*) FROM {name} WHERE turn_id > :mark"), {"mark": mark}
        ).scalar_one()
        # Past the cursor of the pairs still being filled, a vector stored before may lack them.
        waiting = "" if pairs_cursor is None else " AND NOT (pairs IS NULL AND turn_id > :cursor)"
        unpaired = session.execute(
            text(f"SELECT count(*) FROM {name} WHERE (exact_positions IS TRUE) = (pairs IS NULL){waiting}"),
            {"cursor": pairs_cursor},
        ).scalar_one()
        unlisted = session.execute(
            text(
                f"SELECT count(DISTINCT stored.word) FROM {name}, unnest(tsvector_to_array(vector)) AS stored(word) "
                f"WHERE NOT EXISTS (SELECT 1 FROM {TURN_WORDS} AS listed WHERE listed.word = stored.word)"
            )
        ).scalar_one()
    problems = []
    if missing:
        problems.append(f"{name}: {missing:,} turns at or below the watermark ({mark:,}) have no vector")
    if above:
        problems.append(f"{name}: {above:,} vectors above the watermark ({mark:,})")
    if unpaired:
        problems.append(
            f"{name}: {unpaired:,} vectors whose pairs of adjacent words disagree with their positions "
            "(missing where every position is kept, or present where not)"
        )
    if unlisted:
        problems.append(f"{TURN_WORDS}: {unlisted:,} words of the stored vectors are not listed")
    return problems
