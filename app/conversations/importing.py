"""The import run: files in, conversations stored in chunks across files, a truthful batch record out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, update
from sqlmodel import col

from app.conversations.files import InputFile, Limits, SkippedInput, inner_name, iter_input_files
from app.conversations.importers import FORMATS, detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError
from app.conversations.models import ImportBatch, ImportFile
from app.conversations.service import (
    FileContext,
    Item,
    StoreError,
    analyze_imported,
    record_errors,
    store_conversations,
)
from app.db import session_scope
from app.errors import ImportInputError, PairwiseError
from app.models_base import utcnow

log = logging.getLogger(__name__)

# Errors beyond this many per batch are counted but not stored one by one (a junk file can have millions).
MAX_STORED_ERRORS = 10_000
# Finished files and rejected records wait for the next chunk's transaction, up to these counts.
MAX_PENDING_FILES = 2_000
MAX_PENDING_ERRORS = 1_000

# An import this large refreshes the planner's statistics (PostgreSQL) instead of waiting for autovacuum.
ANALYZE_AFTER = 10_000

Progress = Callable[[int], None]


@dataclass(slots=True)
class ImportSummary:
    batch_id: int
    conversations_added: int = 0
    duplicates: int = 0
    pairs_detected: int = 0
    files: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "conversations_added": self.conversations_added,
            "duplicates": self.duplicates,
            "pairs_detected": self.pairs_detected,
            "files": self.files,
            "error_count": self.error_count,
            "errors": self.errors,
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


class _Writer:
    """Collects conversations, finished files and errors, and stores them one transaction per chunk.

    Chunks span files: a folder of 10,000 small sessions costs 20 transactions, not 20,000.
    """

    def __init__(self, engine: Engine, summary: ImportSummary, chunk_size: int) -> None:
        self.engine = engine
        self.summary = summary
        self.chunk_size = chunk_size
        self.items: list[Item] = []
        self.tallies: list[_FileTally] = []
        self.done_files: list[_FileTally] = []
        self.errors: list[dict[str, Any]] = []

    def add(self, context: FileContext, tally: _FileTally, conversation: Any) -> None:
        self.items.append((context, conversation))
        self.tallies.append(tally)
        if len(self.items) >= self.chunk_size:
            self.flush()

    def reject(self, tally: _FileTally, error: dict[str, Any]) -> None:
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
        self.done_files.append(tally)
        if len(self.done_files) >= MAX_PENDING_FILES:
            self.flush()

    def flush(self) -> None:
        if not (self.items or self.done_files or self.errors):
            return
        with session_scope(self.engine) as session:
            outcomes = store_conversations(session, items=self.items) if self.items else []
            for (_, conversation), tally, outcome in zip(self.items, self.tallies, outcomes, strict=True):
                if isinstance(outcome, StoreError):
                    self._reject_now(tally, conversation, outcome.reason)
                elif outcome is None:
                    tally.duplicates += 1
                    self.summary.duplicates += 1
                else:
                    tally.added += 1
                    self.summary.conversations_added += 1
                    self.summary.pairs_detected += outcome
            if self.errors:
                record_errors(session, batch_id=self.summary.batch_id, errors=self.errors)
                self.errors = []
            if self.done_files:
                session.execute(insert(ImportFile), [self._file_row(t) for t in self.done_files])
        self.items, self.tallies, self.done_files, self.errors = [], [], [], []

    def _reject_now(self, tally: _FileTally, conversation: Any, reason: str) -> None:
        """A record the database refused; stored with the rest of this chunk's errors."""
        tally.errors += 1
        self.summary.error_count += 1
        entry = {
            "file": tally.path,
            "line": conversation.line,
            "json_path": conversation.json_path,
            "reason": reason,
        }
        if len(self.summary.errors) < MAX_STORED_ERRORS:
            self.summary.errors.append(entry)
            self.errors.append(entry)

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
        }


def start_batch(engine: Engine, *, source: str, user_id: int | None = None) -> int:
    with session_scope(engine) as session:
        batch = ImportBatch(source=source[:200], created_by_id=user_id)
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
) -> ImportSummary:
    """Import every file under `paths`; bad records are reported, good ones stored, nothing half-stored."""
    if format != "auto" and format not in FORMATS:
        raise ImportInputError(f"unknown format {format!r}; choose auto or one of: {', '.join(FORMATS)}")
    source = source or (paths[0].name if len(paths) == 1 else "import")
    if batch_id is None:
        batch_id = start_batch(engine, source=source, user_id=user_id)
    summary = ImportSummary(batch_id=batch_id)
    writer = _Writer(engine, summary, chunk_size)
    try:
        for item in iter_input_files(paths, limits=limits):
            if isinstance(item, SkippedInput):
                tally = _FileTally(item.name, 0)
                writer.reject(tally, {"line": None, "reason": item.reason})
                writer.file_done(tally)
                continue
            summary.files += 1
            _import_file(writer, item, format=format, source=source, progress=progress)
        writer.flush()
        if summary.conversations_added >= ANALYZE_AFTER:
            analyze_imported(engine)
    except BaseException as exc:
        _finish(engine, summary, status="failed", message=f"import stopped: {type(exc).__name__}: {exc}")
        raise
    _finish(engine, summary, status="succeeded", message=None)
    return summary


def _import_file(
    writer: _Writer, item: InputFile, *, format: str, source: str, progress: Progress | None
) -> None:
    tally = _FileTally(item.name, item.size)
    context: list[FileContext] = []

    def emit(result: ParsedConversation | RecordError) -> None:
        if isinstance(result, RecordError):
            writer.reject(
                tally, {"line": result.line, "json_path": result.json_path, "reason": result.reason}
            )
            return
        if not context:
            context.append(_context(writer, tally, source))
        writer.add(context[0], tally, result)

    _read_file(item, format=format, tally=tally, emit=emit, progress=progress)
    writer.file_done(tally)


def _context(writer: _Writer, tally: _FileTally, source: str) -> FileContext:
    return FileContext(
        batch_id=writer.summary.batch_id, source=source, format=tally.format or "", file=tally.path
    )


def _read_file(
    item: InputFile,
    *,
    format: str,
    tally: _FileTally,
    emit: Callable[[ParsedConversation | RecordError], None],
    progress: Progress | None = None,
) -> None:
    """Detect the format, parse, and hash one file; problems are emitted as RecordErrors, never raised."""
    try:
        hashed = item.open()
    except OSError as exc:
        emit(RecordError(reason=f"cannot open: {exc.strerror or exc}"))
        return
    reported = 0
    try:
        name = inner_name(item.name)
        fmt = format if format != "auto" else detect_format(hashed.head(), name)
        if fmt is None:
            raise FileFormatError(
                "matches no known format (tried " + ", ".join(FORMATS) + "); use --format to force one"
            )
        tally.format = fmt
        for result in get_importer(fmt).parse(hashed.stream, name):
            emit(result)
            if progress is not None and hashed.bytes_read - reported > 1 << 20:
                progress(hashed.bytes_read - reported)
                reported = hashed.bytes_read
        tally.sha256 = hashed.drain()
    except (FileFormatError, PairwiseError, UnicodeDecodeError) as exc:
        emit(RecordError(reason=str(exc)))
    except (ValueError, RecursionError, MemoryError, OSError) as exc:
        log.exception("import of %s failed", item.name)
        emit(RecordError(reason=f"could not be read: {type(exc).__name__}: {exc}"[:500]))
    finally:
        hashed.close()
        if progress is not None:
            progress(max(item.size - reported, 0))


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
                error_count=summary.error_count,
                message=(message or "")[:2000] or None,
                finished_at=utcnow(),
            )
        )
