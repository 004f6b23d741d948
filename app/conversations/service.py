"""Storing parsed conversations: content hashes, duplicate checks, turns, and detected pairs."""

from __future__ import annotations

import logging
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from app.conversations.importers.base import ParsedConversation, ParsedTurn
from app.conversations.models import Conversation, ImportRecordError, Turn
from app.conversations.reading import content_hash
from app.models_base import table_of, utcnow
from app.pairs.models import PairStatus
from app.pairs.service import PAIR_TABLE, active_scorer, pair_rows_for

log = logging.getLogger(__name__)

CONVERSATION_TABLE: Table = table_of(Conversation)
TURN_TABLE: Table = table_of(Turn)


@dataclass(frozen=True, slots=True)
class FileContext:
    batch_id: int
    source: str
    format: str
    file: str


Item = tuple[FileContext, ParsedConversation]


@dataclass(frozen=True, slots=True)
class StoreError:
    reason: str


@dataclass(frozen=True, slots=True)
class Stored:
    """A conversation stored: its pairs, and how many of them repeat an earlier pair and were linked."""

    pairs: int
    linked: int = 0


# Per item: None when it was a duplicate, a StoreError when the database refused it, else what was stored.
Outcome = Stored | StoreError | None


def store_conversations(session: Session, *, items: Sequence[Item]) -> list[Outcome]:
    """Insert new conversations with their turns and candidate pairs; known content hashes are skipped."""
    outcomes: list[Outcome] = [None] * len(items)
    fresh: dict[str, int] = {}
    for position, (_, conversation) in enumerate(items):
        fresh.setdefault(conversation.content_hash or content_hash(conversation), position)
    if not fresh:
        return outcomes
    if session.connection().dialect.name == "postgresql":
        # No lookup first: the unique index skips duplicates as it inserts, which stays an index probe
        # however large the table grows and whether or not anything has analyzed it yet.
        return _store_postgresql(session, items=items, fresh=fresh, outcomes=outcomes)
    known = session.execute(
        select(CONVERSATION_TABLE.c.content_hash).where(CONVERSATION_TABLE.c.content_hash.in_(list(fresh)))
    ).scalars()
    for digest in known:
        del fresh[digest]
    if not fresh:
        return outcomes
    batch = [(digest, items[position]) for digest, position in fresh.items()]
    try:
        with session.begin_nested():
            pairs = _insert(session, batch=batch)
        for (digest, _), count in zip(batch, pairs, strict=True):
            outcomes[fresh[digest]] = count
    except OperationalError:
        raise  # the database is busy or gone, not this data: the caller retries or fails the chunk
    except DBAPIError:
        # Another import stored some of these meanwhile, or the database refused one record (a value
        # it cannot hold): fall back to one savepoint per conversation, so one record never blocks the rest.
        return _store_one_by_one(session, items=items, fresh=fresh, outcomes=outcomes)
    return outcomes


def _store_postgresql(
    session: Session, *, items: Sequence[Item], fresh: dict[str, int], outcomes: list[Outcome]
) -> list[Outcome]:
    """INSERT ... ON CONFLICT (content_hash) DO NOTHING RETURNING: the rows it returns are the new ones."""
    batch = [(digest, items[position]) for digest, position in fresh.items()]
    try:
        with session.begin_nested():
            stored = _insert_new_conversations(session.connection(), _conversation_rows(batch))
            added = [(digest, item) for digest, item in batch if digest in stored]
            results = _insert_children(session, batch=added, conversation_ids=[stored[d] for d, _ in added])
    except OperationalError:
        raise  # the database is busy or gone, not this data: the caller retries or fails the chunk
    except DBAPIError:
        # The database refused a record somewhere in the chunk: find which one, keep the others.
        return _store_one_by_one(session, items=items, fresh=fresh, outcomes=outcomes)
    for (digest, _), result in zip(added, results, strict=True):
        outcomes[fresh[digest]] = result
    return outcomes


# Where a chunk's conversations wait for INSERT ... SELECT (one per database session, emptied at commit).
_STAGE = "import_conversation_stage"


def _insert_new_conversations(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """PostgreSQL: insert the conversations whose content hash is new; {content hash: id} of those.

    COPY into a temporary table, then INSERT ... SELECT ... ON CONFLICT (content_hash) DO NOTHING RETURNING:
    no SQL text built and parsed per row, and the unique index skips duplicates as it inserts (an index
    probe however large the table grows, whether or not anything analyzed it).
    """
    table = CONVERSATION_TABLE.name
    connection.exec_driver_sql(
        f'CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} (LIKE "{table}") ON COMMIT DELETE ROWS'
    )
    columns, values = _values(
        connection, CONVERSATION_TABLE, rows, _next_ids(connection, CONVERSATION_TABLE, len(rows))
    )
    _copy(connection, CONVERSATION_TABLE, _STAGE, columns, values)
    names = _quoted(columns)
    stored = connection.exec_driver_sql(
        f'INSERT INTO "{table}" ({names}) SELECT {names} FROM {_STAGE} ORDER BY id '
        "ON CONFLICT (content_hash) DO NOTHING RETURNING content_hash, id"
    ).all()
    connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
    return dict(stored)


def _store_one_by_one(
    session: Session, *, items: Sequence[Item], fresh: dict[str, int], outcomes: list[Outcome]
) -> list[Outcome]:
    """One savepoint per conversation, so one record never blocks the rest of its chunk."""
    for digest, position in fresh.items():
        item = items[position]
        try:
            with session.begin_nested():
                outcomes[position] = _insert(session, batch=[(digest, item)])[0]
        except OperationalError:
            raise
        except DBAPIError as exc:
            stored = session.execute(
                select(CONVERSATION_TABLE.c.id).where(CONVERSATION_TABLE.c.content_hash == digest)
            ).first()
            if stored is None:
                # The driver's text holds SQL and the record's data: it goes to the log, words to the user.
                log.warning("record %s of %s refused by the database: %s", item[1].line or item[1].json_path,
                            item[0].file, exc.orig)  # fmt: skip
                outcomes[position] = StoreError(
                    "the database refused this record (details are in the server log)"
                )
    return outcomes


def nul_location(conversation: ParsedConversation) -> str | None:
    """Where a conversation holds a NUL character (PostgreSQL text and JSON cannot store one), or None."""
    if "\x00" in conversation.external_id:
        return "its id"
    if conversation.title and "\x00" in conversation.title:
        return "its title"
    if conversation.system_prompt and "\x00" in conversation.system_prompt:
        return "the system prompt"
    for index, turn in enumerate(conversation.turns, start=1):
        if "\x00" in turn.text:
            return f"the text of turn {index}"
        if turn.blocks and b"\\u0000" in orjson.dumps(turn.blocks):
            return f"the blocks (tool calls or results) of turn {index}"
    if conversation.metadata and b"\\u0000" in orjson.dumps(conversation.metadata):
        return "its metadata"
    return None


def _conversation_rows(batch: list[tuple[str, Item]]) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "source": context.source,
            "format": context.format,
            "file": context.file[:1000],
            "external_id": conversation.external_id[:500],
            "title": (conversation.title or "")[:500] or None,
            "system_prompt": conversation.system_prompt,
            "content_hash": digest,
            "turn_count": len(conversation.turns),
            "meta": conversation.metadata or None,
            "batch_id": context.batch_id,
            "created_at": now,
        }
        for digest, (context, conversation) in batch
    ]


def _insert(session: Session, *, batch: list[tuple[str, Item]]) -> list[Stored]:
    """Insert conversations, turns and pairs with few multi-row statements; returns what each one stored."""
    conversation_ids = _bulk_insert(session, CONVERSATION_TABLE, _conversation_rows(batch))
    return _insert_children(session, batch=batch, conversation_ids=conversation_ids)


def stored_blocks(turn: ParsedTurn) -> list[dict[str, Any]] | None:
    """A turn's blocks as stored: a text block keeps its length (`chars`), not its words, when the turn's
    text is exactly its text blocks joined by blank lines (how every importer builds an answer), so the
    words of an answer that used tools are stored once. Read in order, the text blocks are `chars`
    characters of the text each, a blank line apart. Other blocks, and turns built otherwise, are stored
    whole.

    Only the stored form changes: the content hash is taken from the blocks as parsed, so a file imported
    before and after this stays a duplicate. Blocks stored whole before are read the same way: nothing
    reads a text block's words (W1's database: 177 -> 123 MB).
    """
    blocks = turn.blocks
    if not blocks:
        return blocks
    texts = [block["text"] for block in blocks if _is_text_block(block)]
    if not texts or "\n\n".join(texts) != turn.text:
        return blocks
    return [
        {"type": "text", "chars": len(block["text"])} if _is_text_block(block) else block for block in blocks
    ]


def _is_text_block(block: dict[str, Any]) -> bool:
    return block.get("type") == "text" and type(block.get("text")) is str


def _insert_children(
    session: Session, *, batch: list[tuple[str, Item]], conversation_ids: list[int]
) -> list[Stored]:
    """Insert the turns and candidate pairs of stored conversations; returns what each one stored."""
    turn_rows: list[dict[str, Any]] = []
    for conversation_id, (_, (_, conversation)) in zip(conversation_ids, batch, strict=True):
        turn_rows.extend(
            {
                "conversation_id": conversation_id,
                "index": index,
                "role": turn.role,
                "text": turn.text,
                "blocks": stored_blocks(turn),
            }
            for index, turn in enumerate(conversation.turns)
        )
    turn_ids = iter(_bulk_insert(session, TURN_TABLE, turn_rows))
    pair_rows: list[dict[str, Any]] = []
    owners: list[int] = []
    scorer = active_scorer(session)  # an installation's verdict-fitted model, once it has one
    for position, (conversation_id, (_, (_, conversation))) in enumerate(
        zip(conversation_ids, batch, strict=True)
    ):
        ids = [next(turn_ids) for _ in conversation.turns]
        rows = pair_rows_for(
            conversation_id=conversation_id, conversation=conversation, turn_ids=ids, scorer=scorer
        )
        pair_rows.extend(rows)
        owners.extend(position for _ in rows)
    linked = _insert_pairs(session, pair_rows)
    stored = [[0, 0] for _ in batch]
    for owner, was_linked in zip(owners, linked, strict=True):
        stored[owner][0] += 1
        stored[owner][1] += was_linked
    return [Stored(pairs, links) for pairs, links in stored]


def _insert_pairs(session: Session, rows: list[dict[str, Any]]) -> list[bool]:
    """Insert pair rows; one that repeats an earlier pair's texts (same content key) is linked to it and
    not queued. Returns, per row, whether it was linked."""
    if not rows:
        return []
    keys = {row["content_key"] for row in rows if row.get("content_key")}
    known: dict[str, int] = {}
    if keys:
        found = session.execute(
            select(PAIR_TABLE.c.content_key, PAIR_TABLE.c.id)
            .where(PAIR_TABLE.c.content_key.in_(list(keys)), PAIR_TABLE.c.linked_to_id.is_(None))
            .order_by(PAIR_TABLE.c.id)
        )
        for key, pair_id in found:
            known.setdefault(key, pair_id)
    first, repeats, seen = [], [], set()
    for row in rows:
        key = row.get("content_key")
        if key in known:
            row["linked_to_id"], row["status"] = known[key], PairStatus.linked
        elif key is not None and key in seen:
            repeats.append(row)
            continue
        row.setdefault("linked_to_id", None)
        seen.add(key)
        first.append(row)
    ids = _bulk_insert(session, PAIR_TABLE, first)
    if repeats:
        # A repeat within this chunk links to the first copy, which now has an id.
        by_key = {row["content_key"]: pair_id for row, pair_id in zip(first, ids, strict=True)}
        for row in repeats:
            row["linked_to_id"], row["status"] = by_key[row["content_key"]], PairStatus.linked
        _bulk_insert(session, PAIR_TABLE, repeats)
    return [row["status"] == PairStatus.linked for row in rows]


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (every row with the same keys) in few statements; their ids in order."""
    return _bulk_insert(session, table, rows)


def _bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows and return their ids in order.

    SQLite: this transaction holds the database's only write lock (BEGIN IMMEDIATE), so ids after the current
    maximum are ours to assign, and a plain executemany through the driver skips SQLAlchemy's per-row work
    (a third of the import time). PostgreSQL: ids from the table's sequence, then one COPY.
    """
    if not rows:
        return []
    connection = session.connection()
    if connection.dialect.name not in ("sqlite", "postgresql"):
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.execute(statement, rows).scalars())
    ids = _next_ids(connection, table, len(rows))
    names, values = _values(connection, table, rows, ids)
    if connection.dialect.name == "postgresql":
        _copy(connection, table, f'"{table.name}"', names, values)
    else:
        marks = ", ".join("?" for _ in values[0])
        connection.exec_driver_sql(f'INSERT INTO "{table.name}" ({_quoted(names)}) VALUES ({marks})', values)
    return ids


def _next_ids(connection: Connection, table: Table, count: int) -> list[int]:
    if connection.dialect.name == "sqlite":
        start = (
            connection.exec_driver_sql(f'SELECT coalesce(max(id), 0) FROM "{table.name}"').scalar_one() + 1
        )
        return list(range(start, start + count))
    # PostgreSQL: from the table's own sequence, in order, as a plain INSERT would have taken them, and like
    # one holding the table's insert lock first: the search indexer waits for that lock's holders to end
    # before it trusts the highest id (app/conversations/search_index.committed_top).
    connection.exec_driver_sql(f'LOCK TABLE "{table.name}" IN ROW EXCLUSIVE MODE')
    sequences = connection.info.setdefault("pw_sequences", {})  # kept with the database connection
    if table.name not in sequences:
        sequences[table.name] = connection.exec_driver_sql(
            "SELECT pg_get_serial_sequence(%(table)s, 'id')", {"table": f'"{table.name}"'}
        ).scalar_one()
    return sorted(
        connection.exec_driver_sql(
            "SELECT nextval(%(sequence)s::regclass) FROM generate_series(1, %(n)s)",
            {"sequence": sequences[table.name], "n": count},
        ).scalars()
    )


def _values(
    connection: Connection, table: Table, rows: list[dict[str, Any]], ids: list[int]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names ("id" first) and each row's values as the driver takes them."""
    columns = [c for c in table.columns if c.name in rows[0]]
    fetch = operator.itemgetter(*(c.name for c in columns))
    # Only JSON and datetime columns need SQLAlchemy's conversion; the rest go to the driver as they are.
    dialect = connection.dialect
    converters = [
        (i, process)
        for i, c in enumerate(columns)
        if (process := c.type.dialect_impl(dialect).bind_processor(dialect))
    ]
    values: list[tuple[Any, ...]] = []
    for row_id, row in zip(ids, rows, strict=True):
        fields = list(fetch(row)) if len(columns) > 1 else [fetch(row)]
        for i, process in converters:
            fields[i] = process(fields[i])
        values.append((row_id, *fields))
    return ["id", *(c.name for c in columns)], values


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _copy(
    connection: Connection, table: Table, target: str, columns: list[str], values: list[tuple[Any, ...]]
) -> None:
    """Rows into PostgreSQL (`target`: `table` or a table like it) with COPY (psycopg 3), binary when it can.

    No SQL text is built and parsed per row. In the binary form each value goes as its type's own bytes,
    length first: the text form scanned every answer for characters to escape (each line break) on both
    sides (40,000 W1 turns: 0.39 s in text, 0.25 s in binary). The binary form takes no cast, so each
    column is sent as its type in the database (read once per connection). An integer beyond its column's
    range sends the text form instead, whose parse refuses it: psycopg's binary int4 wraps it around, and its
    int8 raises a Python OverflowError.
    """
    dbapi = connection.dialect.loaded_dbapi
    types = [_column_types(connection, table)[name] for name in columns]
    binary = _integers_fit(types, values)
    statement = f"COPY {target} ({_quoted(columns)}) FROM STDIN" + (" (FORMAT BINARY)" if binary else "")
    try:
        with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            if binary:
                copy.set_types(types)
            for row in values:
                copy.write_row(row)
    except dbapi.Error as exc:
        # As SQLAlchemy would raise it: DataError, IntegrityError, OperationalError...
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


# Type oids of PostgreSQL's smallint, integer and bigint, and the values each holds (one past the largest).
_INTEGER_BOUNDS = {21: 2**15, 23: 2**31, 20: 2**63}


def _integers_fit(types: list[int], values: list[tuple[Any, ...]]) -> bool:
    """Whether every value of an integer column is within its type's range (2**31 sent as a binary int4 was
    stored as -2**31)."""
    for position, oid in enumerate(types):
        if (bound := _INTEGER_BOUNDS.get(oid)) is not None:
            column = [row[position] for row in values if row[position] is not None]
            if column and (min(column) < -bound or max(column) >= bound):
                return False
    return True


def _column_types(connection: Connection, table: Table) -> dict[str, int]:
    """{column: type oid} of a table in the database, kept with the database connection.

    Read at every COPY instead, it cost the importing process 0.1 CPU-seconds in W1 (80 catalog queries). A
    migration changes types only for code that is restarted with it; a process still running the code from
    before would send a column's old binary form, which PostgreSQL refuses (a wider integer, JSON) rather
    than misreads, as it refuses that code's other statements against the new schema.
    """
    known = connection.info.setdefault("pw_column_types", {})
    if table.name not in known:
        known[table.name] = dict(
            connection.exec_driver_sql(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = %(table)s::regclass AND attnum > 0 AND NOT attisdropped",
                {"table": f'"{table.name}"'},
            ).all()
        )
    return known[table.name]


def record_errors(session: Session, *, batch_id: int, errors: Sequence[dict[str, Any]]) -> None:
    """Store rejected records (file, line or JSON path, reason)."""
    session.execute(
        insert(table_of(ImportRecordError)),
        [
            {
                "batch_id": batch_id,
                "file": str(e["file"])[:1000],
                "line": e.get("line"),
                "json_path": e.get("json_path"),
                "reason": str(e["reason"])[:2000],
            }
            for e in errors
        ],
    )
