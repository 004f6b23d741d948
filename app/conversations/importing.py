"""The import run: files in, conversations stored in chunks across files, a truthful batch record out."""

from __future__ import annotations

import gc
import itertools
import logging
import os
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from app.conversations.files import Input, InputFile, Limits, NotConversation, SkippedInput, iter_input_files
from app.conversations.importers import FORMATS
from app.conversations.importers.base import ParsedConversation, ParseResult, RecordError, Skipped
from app.conversations.models import ImportBatch, ImportFile
from app.conversations.parallel import WorkerPool
from app.conversations.reading import FileRead, read_file
from app.conversations.service import (
    FileContext,
    Item,
    Outcome,
    Stored,
    StoreError,
    analyze_imported,
    insert_rows,
    nul_location,
    record_errors,
    store_conversations,
)
from app.db import session_scope
from app.errors import ImportInputError, public_message
from app.liveness import heartbeat, owner_tag
from app.models_base import table_of, utcnow

log = logging.getLogger(__name__)

# Errors beyond this many per batch are counted but not stored one by one (a junk file can have millions).
MAX_STORED_ERRORS = 10_000
# Finished files and rejected records wait for the next chunk's transaction, up to these counts.
MAX_PENDING_FILES = 2_000
MAX_PENDING_ERRORS = 1_000
# Per-file entries kept for the summary (`import --json`); the database keeps every file regardless.
MAX_REPORTED_FILES = 10_000
# A chunk that cannot get SQLite's write lock (other processes writing) is retried for this long.
LOCK_RETRY_SECONDS = 600.0

# An import this large refreshes the planner's statistics (PostgreSQL) instead of waiting for autovacuum;
# while it runs, the pair table's are refreshed at this many conversations and each doubling after.
ANALYZE_AFTER = 10_000
ANALYZE_PAIRS_FROM = 5_000
# An import reaching this many bytes or files is read by worker processes while this one writes; a smaller
# one is read here (starting workers would cost more than it saves).
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
PARALLEL_MIN_FILES = 500
MAX_WORKERS = 4

Progress = Callable[[int], None]
BATCH_TABLE = table_of(ImportBatch)
FILE_TABLE = table_of(ImportFile)


@dataclass(slots=True)
class ImportSummary:
    batch_id: int
    conversations_added: int = 0
    duplicates: int = 0
    pairs_detected: int = 0
    pairs_linked: int = 0
    files: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Known non-conversations by reason, and content parts left out by kind, over the whole batch.
    skipped: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    file_reports: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "conversations_added": self.conversations_added,
            "duplicates": self.duplicates,
            "pairs_detected": self.pairs_detected,
            "pairs_linked": self.pairs_linked,
            "files": self.files,
            "skipped": dict(self.skipped),
            "dropped_parts": dict(self.dropped),
            "error_count": self.error_count,
            "errors": self.errors,
            "per_file": self.file_reports,
        }


@dataclass(slots=True)
class _FileTally:
    path: str
    size: int
    format: str | None = None
    sha256: str | None = None
    added: int = 0
    duplicates: int = 0
    errors: int = 0
    parsed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)

    def report(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "conversations": self.added,
            "duplicates": self.duplicates,
            "skipped": dict(self.skipped),
            "dropped_parts": dict(self.dropped),
            "errors": self.errors,
        }


@dataclass(slots=True)
class _Chunk:
    items: list[Item]
    tallies: list[_FileTally]
    done_files: list[_FileTally]
    errors: list[dict[str, Any]]


class _Writer:
    """Collects conversations, finished files and errors, and stores them one transaction per chunk.

    Chunks span files: a folder of 10,000 small sessions costs 20 transactions, not 20,000. Chunks are
    written by a thread. With `write_behind` (worker processes read the files, so this thread mostly waits
    for them) the next chunk is collected while one is written, and the database's own work, SQLite's pages
    or the PostgreSQL server's, runs meanwhile; without, each chunk is waited for (a thread parsing here
    would hold the interpreter lock the writing one needs after each round trip). At most one chunk is in
    flight, and its counts reach the summary once it committed, before anything of a later chunk does.
    """

    def __init__(self, engine: Engine, summary: ImportSummary, chunk_size: int) -> None:
        self.engine = engine
        self.summary = summary
        self.chunk_size = chunk_size
        self.write_behind = False
        self.items: list[Item] = []
        self.tallies: list[_FileTally] = []
        self.done_files: list[_FileTally] = []
        self.errors: list[dict[str, Any]] = []
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        self._in_flight: tuple[Future[list[Outcome]], _Chunk] | None = None
        self._analyze_pairs_at = ANALYZE_PAIRS_FROM

    def add(self, context: FileContext, tally: _FileTally, conversation: ParsedConversation) -> None:
        where = nul_location(conversation)
        if where is not None:
            # Tool output often carries NUL bytes; neither database keeps them faithfully, so the record
            # is refused with its place named rather than altered behind the user's back.
            self.reject(tally, {"line": conversation.line, "json_path": conversation.json_path,
                                "reason": f"contains a NUL character (\\u0000) in {where}; remove it and "
                                          "import the file again"})  # fmt: skip
            return
        self.items.append((context, conversation))
        self.tallies.append(tally)
        if len(self.items) >= self.chunk_size:
            self.flush()

    def reject(self, tally: _FileTally, error: dict[str, Any]) -> None:
        # The chunk in flight reports its refused records first, as a serial import would have.
        self.settle()
        tally.errors += 1
        self.summary.error_count += 1
        if len(self.summary.errors) < MAX_STORED_ERRORS:
            entry = {
                "file": tally.path,
                "line": error.get("line"),
                "json_path": error.get("json_path"),
                "reason": error["reason"],
            }
            self.summary.errors.append(entry)
            self.errors.append(entry)
        if len(self.errors) >= MAX_PENDING_ERRORS:
            self.flush()

    def file_done(self, tally: _FileTally) -> None:
        self.summary.skipped.update(tally.skipped)
        self.summary.dropped.update(tally.dropped)
        self.done_files.append(tally)
        if len(self.done_files) >= MAX_PENDING_FILES:
            self.flush()

    def flush(self) -> None:
        """Hand what was collected to the writing thread (after the chunk before it is settled)."""
        if not (self.items or self.done_files or self.errors):
            return
        self.settle()
        chunk = _Chunk(self.items, self.tallies, self.done_files, self.errors)
        self.items, self.tallies, self.done_files, self.errors = [], [], [], []
        self._in_flight = (self._thread.submit(_with_lock_retry, partial(self._store, chunk)), chunk)
        if not self.write_behind:
            self.settle()

    def settle(self) -> None:
        """Wait for the chunk in flight and count what it stored; raises what stopped it."""
        if self._in_flight is None:
            return
        future, chunk = self._in_flight
        self._in_flight = None
        outcomes = future.result()
        for (_, conversation), tally, outcome in zip(chunk.items, chunk.tallies, outcomes, strict=True):
            self._apply(tally, outcome)
            if outcome is None:
                self.summary.duplicates += 1
            elif isinstance(outcome, Stored):
                self.summary.conversations_added += 1
                self.summary.pairs_detected += outcome.pairs
                self.summary.pairs_linked += outcome.linked
            else:
                self._count_rejected(conversation, tally, outcome.reason)
        if chunk.done_files:
            # Reported once its conversations are stored: only then are its counts final.
            room = MAX_REPORTED_FILES - len(self.summary.file_reports)
            self.summary.file_reports.extend(t.report() for t in chunk.done_files[:room])
        if self.summary.conversations_added >= self._analyze_pairs_at:
            self._analyze_pairs_at *= 2
            analyze_imported(self.engine, pairs_only=True)

    def close(self) -> None:
        """Write what is left and wait for it."""
        self.flush()
        self.settle()
        self._thread.shutdown()

    def abandon(self) -> None:
        """After a failure: let the chunk in flight finish (counted if it committed), write nothing more."""
        try:
            self.settle()
        except Exception:
            log.exception("the import's last chunk was not stored")
        finally:
            self._in_flight = None
            self._thread.shutdown()

    def _apply(self, tally: _FileTally, outcome: Outcome) -> None:
        if isinstance(outcome, StoreError):
            tally.errors += 1
        elif outcome is None:
            tally.duplicates += 1
        else:
            tally.added += 1

    def _store(self, chunk: _Chunk) -> list[Outcome]:
        """One chunk in one transaction (in the writing thread); it may be retried while SQLite is busy.

        Counts change only once it committed (settle); this process adds no error to the summary meanwhile.
        """
        with session_scope(self.engine) as session:
            outcomes = store_conversations(session, items=chunk.items) if chunk.items else []
            errors = list(chunk.errors)
            for (_, conversation), tally, outcome in zip(chunk.items, chunk.tallies, outcomes, strict=True):
                if (
                    isinstance(outcome, StoreError)
                    and len(self.summary.errors) + len(errors) < MAX_STORED_ERRORS
                ):
                    errors.append(self._entry(tally, conversation, outcome.reason))
            if errors:
                record_errors(session, batch_id=self.summary.batch_id, errors=errors)
            if chunk.done_files:
                # A finished file's row includes this chunk's outcomes, counted on copies of the tallies.
                copies = {id(t): replace(t) for t in chunk.done_files}
                for tally, outcome in zip(chunk.tallies, outcomes, strict=True):
                    if id(tally) in copies:
                        self._apply(copies[id(tally)], outcome)
                insert_rows(session, FILE_TABLE, [self._file_row(copies[id(t)]) for t in chunk.done_files])
        return outcomes

    def _entry(self, tally: _FileTally, conversation: Any, reason: str) -> dict[str, Any]:
        return {"file": tally.path, "line": conversation.line, "json_path": conversation.json_path,
                "reason": reason}  # fmt: skip

    def _count_rejected(self, conversation: Any, tally: _FileTally, reason: str) -> None:
        """A record the database refused (already stored with its chunk's errors)."""
        self.summary.error_count += 1
        if len(self.summary.errors) < MAX_STORED_ERRORS:
            self.summary.errors.append(self._entry(tally, conversation, reason))

    def _file_row(self, tally: _FileTally) -> dict[str, Any]:
        return {
            "batch_id": self.summary.batch_id,
            "path": tally.path[:1000],
            "format": tally.format,
            "sha256": tally.sha256,
            "size_bytes": tally.size,
            "conversations_added": tally.added,
            "duplicates": tally.duplicates,
            "error_count": tally.errors,
            "skipped": dict(tally.skipped) or None,
            "dropped_parts": dict(tally.dropped) or None,
        }


def _is_locked(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def _with_lock_retry(store: Callable[[], list[Outcome]]) -> list[Outcome]:
    """Run a chunk's transaction, waiting its turn while other processes write to the SQLite file.

    busy_timeout covers a short wait; a CLI import next to a busy web app can lose the lock race for
    longer, so the whole chunk is retried (it rolled back) with a growing pause, up to LOCK_RETRY_SECONDS.
    """
    deadline = time.monotonic() + LOCK_RETRY_SECONDS
    pause = 0.05
    while True:
        try:
            return store()
        except OperationalError as exc:
            if not _is_locked(exc) or time.monotonic() >= deadline:
                raise
            log.info("database busy (another process writes); retrying the chunk in %.2fs", pause)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def start_batch(engine: Engine, *, source: str, user_id: int | None = None) -> int:
    with session_scope(engine) as session:
        batch = ImportBatch(
            source=source[:200], created_by_id=user_id, owner=owner_tag(), heartbeat_at=utcnow()
        )
        session.add(batch)
        session.flush()
        assert batch.id is not None
        return batch.id


def run_import(
    engine: Engine,
    *,
    paths: list[Path],
    format: str = "auto",
    source: str | None = None,
    user_id: int | None = None,
    batch_id: int | None = None,
    chunk_size: int = 500,
    limits: Limits | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ImportSummary:
    """Import every file under `paths`; bad records are reported, good ones stored, nothing half-stored.

    `workers`: how many worker processes read the files while this process writes; None decides by the
    import's size (see PARALLEL_MIN_BYTES), 0 reads everything here.
    """
    if format != "auto" and format not in FORMATS:
        raise ImportInputError(f"unknown format {format!r}; choose auto or one of: {', '.join(FORMATS)}")
    source = source or (paths[0].name if len(paths) == 1 else "import")
    if batch_id is None:
        batch_id = start_batch(engine, source=source, user_id=user_id)
    else:
        _claim(engine, batch_id)
    summary = ImportSummary(batch_id=batch_id)
    writer = _Writer(engine, summary, chunk_size)
    try:
        with heartbeat(engine, BATCH_TABLE, batch_id), _older_objects_frozen():
            count, items = _plan_workers(iter_input_files(paths, limits=limits), workers)
            if count:
                with WorkerPool(count, format=format) as pool:
                    writer.write_behind = True
                    _import_items(writer, items, pool=pool, format=format, source=source, progress=progress)
            else:
                _import_items(writer, items, pool=None, format=format, source=source, progress=progress)
            writer.close()
            if summary.conversations_added >= ANALYZE_AFTER:
                analyze_imported(engine)
    except BaseException as exc:
        log.exception("import batch %s stopped", batch_id)
        writer.abandon()
        _finish(engine, summary, status="failed", message=f"import stopped: {public_message(exc)}")
        raise
    _finish(engine, summary, status="succeeded", message=None)
    return summary


def _claim(engine: Engine, batch_id: int) -> None:
    """A resumed batch (a retried job) is running again, owned by this process."""
    with session_scope(engine) as session:
        session.execute(
            update(ImportBatch)
            .where(col(ImportBatch.id) == batch_id)
            .values(status="running", owner=owner_tag(), heartbeat_at=utcnow(), finished_at=None)
        )


@contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Leave the objects that exist before the import out of garbage collection while it runs.

    An import allocates millions of short-lived containers, and every full collection would walk all of the
    application's objects again (a fifth of a large import's time); cycles among the frozen objects are
    collected after the import.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _plan_workers(items: Iterator[Input], workers: int | None) -> tuple[int, Iterator[Input]]:
    """How many worker processes read this import, and its inputs (the ones looked at put back in front)."""
    if workers is not None:
        return max(workers, 0), items
    if not sys.executable:
        return 0, items  # an embedded interpreter cannot start workers
    seen: list[Input] = []
    size = 0
    for item in items:
        seen.append(item)
        size += item.size if isinstance(item, InputFile) else 0
        if size >= PARALLEL_MIN_BYTES or len(seen) >= PARALLEL_MIN_FILES:
            return _idle_cores(), itertools.chain(seen, items)
    return 0, iter(seen)


def _idle_cores() -> int:
    """Workers for a large import: one per core the machine leaves idle (by its load average), at most
    MAX_WORKERS. On a busy machine the import is read here: more processes than free cores only add the
    cost of handing records over."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(0, min(MAX_WORKERS, cores, round(cores - busy)))


def _import_items(
    writer: _Writer,
    items: Iterable[Input],
    *,
    pool: WorkerPool | None,
    format: str,
    source: str,
    progress: Progress | None,
) -> None:
    """Import the inputs in order; with a pool, files are handed to its workers ahead of being stored."""
    pending: deque[tuple[Input, Any]] = deque()

    def handle(item: Input, ticket: Any) -> None:
        if isinstance(item, SkippedInput):
            tally = _FileTally(item.name, 0)
            writer.reject(tally, {"line": None, "reason": item.reason})
            writer.file_done(tally)
        elif isinstance(item, NotConversation):
            tally = _FileTally(item.name, 0)
            tally.skipped[item.reason] += 1
            writer.file_done(tally)
        else:
            writer.summary.files += 1
            if ticket is None:
                read = FileRead()
                results = read_file(item, format=format, read=read, progress=progress)
            else:
                assert pool is not None
                read, results = ticket.read, pool.results(ticket, progress)
            _import_file(writer, item, results, read, source=source)

    for item in items:
        ticket = None
        if pool is not None and isinstance(item, InputFile) and item.origin is not None:
            ticket = pool.submit(item)
        pending.append((item, ticket))
        if pool is None or len(pending) > pool.capacity:
            handle(*pending.popleft())
    while pending:
        handle(*pending.popleft())


def _import_file(
    writer: _Writer, item: InputFile, results: Iterable[ParseResult], read: FileRead, *, source: str
) -> None:
    tally = _FileTally(item.name, item.size)
    context: list[FileContext] = []
    # Errors wait until the file proves to hold conversations: a file that is wholly something else
    # (a cache, a log) gets one error, not one per line.
    held: list[RecordError] | None = []

    def reject(error: RecordError) -> None:
        writer.reject(tally, {"line": error.line, "json_path": error.json_path, "reason": error.reason})

    for result in results:
        if isinstance(result, Skipped):
            tally.skipped[result.reason] += 1
            continue
        if isinstance(result, RecordError):
            if held is None:
                reject(result)
            else:
                held.append(result)
            continue
        if held:
            for error in held:
                reject(error)
        held = None
        tally.parsed += 1
        tally.dropped.update(result.dropped)
        if not context:
            tally.format = read.format
            context.append(_context(writer, tally, source))
        writer.add(context[0], tally, result)
    tally.format, tally.sha256 = read.format, read.sha256
    if held is not None:
        _reject_whole_file(held, tally, reject)
    writer.file_done(tally)


def _reject_whole_file(
    held: list[RecordError], tally: _FileTally, reject: Callable[[RecordError], None]
) -> None:
    """A file without a single conversation: one error that says so, whatever its lines said."""
    if len(held) == 1:
        reject(held[0])
    elif held:
        first = held[0]
        where = f"line {first.line}" if first.line is not None else (first.json_path or "the file")
        reject(
            RecordError(
                f"no conversation imported: all {len(held)} records rejected"
                f" (as {tally.format or 'unknown format'}); first, at {where}: {first.reason}",
                line=first.line,
                json_path=first.json_path,
            )
        )
    elif not tally.skipped:
        reject(RecordError(f"no conversations found (read as {tally.format or 'unknown format'})"))


def _context(writer: _Writer, tally: _FileTally, source: str) -> FileContext:
    return FileContext(
        batch_id=writer.summary.batch_id, source=source, format=tally.format or "", file=tally.path
    )


def _finish(engine: Engine, summary: ImportSummary, *, status: str, message: str | None) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(ImportBatch)
            .where(col(ImportBatch.id) == summary.batch_id)
            .values(
                status=status,
                conversations_added=summary.conversations_added,
                duplicates=summary.duplicates,
                pairs_detected=summary.pairs_detected,
                pairs_linked=summary.pairs_linked,
                skipped=dict(summary.skipped) or None,
                dropped_parts=dict(summary.dropped) or None,
                error_count=summary.error_count,
                message=(message or "")[:2000] or None,
                finished_at=utcnow(),
            )
        )
