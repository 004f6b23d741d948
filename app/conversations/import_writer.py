"""The import's writer: conversations, finished files and errors stored one transaction per chunk, and the summary."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from app.conversations.importers.base import ParsedConversation
from app.conversations.models import ImportBatch, ImportFile
from app.conversations.service import (
    FileContext,
    Item,
    Outcome,
    Stored,
    StoreError,
    insert_rows,
    nul_location,
    record_errors,
    store_conversations,
)
from app.conversations.upkeep import analyze_imported
from app.db import BackgroundCheckpoints, session_scope
from app.models_base import table_of

log = logging.getLogger(__name__)

# Errors beyond this many per batch are counted but not stored one by one (a junk file can have millions).
MAX_STORED_ERRORS = 10_000
# A chunk is written once it holds `chunk_size` conversations or this many bytes of their content
# (ParsedConversation.size), whichever comes first. 500 W1 sessions are about 5 MB; Claude Code sessions
# holding 1 MB of tool output each peaked at 1.45 GB in chunks of 500 (one collected, one being written).
CHUNK_BYTES = 16 * 1024 * 1024
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
    # Worker processes that read the files (0: read in the importing process).
    workers: int = 0

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
            "workers": self.workers,
        }


@dataclass(slots=True)
class FileTally:
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
class Chunk:
    items: list[Item]
    tallies: list[FileTally]
    done_files: list[FileTally]
    errors: list[dict[str, Any]]


class Writer:
    """Collects conversations, finished files and errors, and stores them one transaction per chunk.

    Chunks span files: a folder of 10,000 small sessions costs 20 transactions, not 20,000. A chunk closes at
    `chunk_size` conversations or CHUNK_BYTES of their content, so long sessions make smaller chunks. Chunks are
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
        self.items_size = 0  # bytes of the collected conversations' content
        self.tallies: list[FileTally] = []
        self.done_files: list[FileTally] = []
        self.errors: list[dict[str, Any]] = []
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        self._in_flight: tuple[Future[list[Outcome]], Chunk] | None = None
        self._analyze_pairs_at = ANALYZE_PAIRS_FROM
        self._checkpoints = BackgroundCheckpoints(engine)

    def add(self, context: FileContext, tally: FileTally, conversation: ParsedConversation) -> None:
        where = None if conversation.nul_free else nul_location(conversation)
        if where is not None:
            # Tool output often carries NUL bytes; neither database keeps them faithfully, so the record
            # is refused with its place named rather than altered behind the user's back.
            self.reject(tally, {"line": conversation.line, "json_path": conversation.json_path,
                                "reason": f"contains a NUL character (\\u0000) in {where}; remove it and "
                                          "import the file again"})  # fmt: skip
            return
        self.items.append((context, conversation))
        self.tallies.append(tally)
        self.items_size += conversation.size
        if len(self.items) >= self.chunk_size or self.items_size >= CHUNK_BYTES:
            self.flush()

    def reject(self, tally: FileTally, error: dict[str, Any]) -> None:
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

    def file_done(self, tally: FileTally) -> None:
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
        chunk = Chunk(self.items, self.tallies, self.done_files, self.errors)
        self.items, self.tallies, self.done_files, self.errors = [], [], [], []
        self.items_size = 0
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
        self._checkpoints.close()

    def abandon(self) -> None:
        """After a failure: let the chunk in flight finish (counted if it committed), write nothing more."""
        try:
            self.settle()
        except Exception:
            log.exception("the import's last chunk was not stored")
        finally:
            self._in_flight = None
            self._thread.shutdown()
            self._checkpoints.close()

    def _apply(self, tally: FileTally, outcome: Outcome) -> None:
        if isinstance(outcome, StoreError):
            tally.errors += 1
        elif outcome is None:
            tally.duplicates += 1
        else:
            tally.added += 1

    def _store(self, chunk: Chunk) -> list[Outcome]:
        """One chunk in one transaction (in the writing thread); it may be retried while SQLite is busy.

        Counts change only once it committed (settle); this process adds no error to the summary meanwhile.
        """
        with session_scope(self._checkpoints.engine) as session:
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
        self._checkpoints.committed()
        return outcomes

    def _entry(self, tally: FileTally, conversation: Any, reason: str) -> dict[str, Any]:
        return {"file": tally.path, "line": conversation.line, "json_path": conversation.json_path,
                "reason": reason}  # fmt: skip

    def _count_rejected(self, conversation: Any, tally: FileTally, reason: str) -> None:
        """A record the database refused (already stored with its chunk's errors)."""
        self.summary.error_count += 1
        if len(self.summary.errors) < MAX_STORED_ERRORS:
            self.summary.errors.append(self._entry(tally, conversation, reason))

    def _file_row(self, tally: FileTally) -> dict[str, Any]:
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
