"""The import run: files in, conversations stored chunk by chunk, a truthful batch record out."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session

from app.conversations.files import InputFile, Limits, SkippedInput, inner_name, iter_input_files
from app.conversations.importers import FORMATS, detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError
from app.conversations.models import ImportBatch, ImportFile
from app.conversations.service import FileContext, StoreResult, record_errors, store_conversations
from app.db import session_scope
from app.errors import ImportInputError, PairwiseError
from app.models_base import utcnow

log = logging.getLogger(__name__)

# Errors beyond this many per batch are counted but not stored one by one (a junk file can have millions).
MAX_STORED_ERRORS = 10_000

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
    try:
        for item in iter_input_files(paths, limits=limits):
            if isinstance(item, SkippedInput):
                _add_errors(engine, summary, item.name, [{"line": None, "reason": item.reason}])
                continue
            _import_file(engine, summary, item, format=format, source=source, chunk_size=chunk_size, progress=progress)
    except BaseException as exc:
        _finish(engine, summary, status="failed", message=f"import stopped: {type(exc).__name__}: {exc}")
        raise
    _finish(engine, summary, status="succeeded", message=None)
    return summary


def _import_file(
    engine: Engine,
    summary: ImportSummary,
    item: InputFile,
    *,
    format: str,
    source: str,
    chunk_size: int,
    progress: Progress | None,
) -> None:
    summary.files += 1
    file_errors: list[dict[str, Any]] = []
    totals = StoreResult()
    try:
        hashed = item.open()
    except OSError as exc:
        _add_errors(engine, summary, item.name, [{"line": None, "reason": f"cannot open: {exc.strerror or exc}"}])
        return
    fmt: str | None = None
    last_progress = 0
    try:
        fmt = format if format != "auto" else detect_format(hashed.head(), inner_name(item.name))
        if fmt is None:
            raise FileFormatError(
                "matches no known format (tried " + ", ".join(FORMATS) + "); use --format to force one"
            )
        context = FileContext(batch_id=summary.batch_id, source=source, format=fmt, file=item.name)
        for chunk, errors in _chunks(get_importer(fmt).parse(hashed.stream, inner_name(item.name)), chunk_size):
            file_errors.extend(errors)
            if chunk:
                with session_scope(engine) as session:
                    stored = store_conversations(session, context=context, conversations=chunk)
                totals.added += stored.added
                totals.duplicates += stored.duplicates
                totals.pairs += stored.pairs
            if progress is not None:
                progress(hashed.bytes_read - last_progress)
                last_progress = hashed.bytes_read
        sha256 = hashed.drain()
    except (FileFormatError, PairwiseError, UnicodeDecodeError) as exc:
        file_errors.append({"line": None, "reason": str(exc)})
        sha256 = None
    except (ValueError, RecursionError, MemoryError, OSError) as exc:
        log.exception("import of %s failed", item.name)
        file_errors.append({"line": None, "reason": f"could not be read: {type(exc).__name__}: {exc}"[:500]})
        sha256 = None
    finally:
        hashed.close()
        if progress is not None:
            progress(max(item.size - last_progress, 0))
    summary.conversations_added += totals.added
    summary.duplicates += totals.duplicates
    summary.pairs_detected += totals.pairs
    with session_scope(engine) as session:
        session.add(
            ImportFile(
                batch_id=summary.batch_id,
                path=item.name[:1000],
                format=fmt,
                sha256=sha256,
                size_bytes=item.size,
                conversations_added=totals.added,
                duplicates=totals.duplicates,
                error_count=len(file_errors),
            )
        )
        _store_errors(session, summary, item.name, file_errors)


def _chunks(
    results: Iterator[ParsedConversation | RecordError], size: int
) -> Iterator[tuple[list[ParsedConversation], list[dict[str, Any]]]]:
    chunk: list[ParsedConversation] = []
    errors: list[dict[str, Any]] = []
    for result in results:
        if isinstance(result, RecordError):
            errors.append({"line": result.line, "json_path": result.json_path, "reason": result.reason})
            continue
        chunk.append(result)
        if len(chunk) >= size:
            yield chunk, errors
            chunk, errors = [], []
    yield chunk, errors


def _add_errors(engine: Engine, summary: ImportSummary, file: str, errors: list[dict[str, Any]]) -> None:
    with session_scope(engine) as session:
        _store_errors(session, summary, file, errors)


def _store_errors(session: Session, summary: ImportSummary, file: str, errors: list[dict[str, Any]]) -> None:
    room = max(MAX_STORED_ERRORS - len(summary.errors), 0)
    kept = errors[:room]
    summary.error_count += len(errors)
    summary.errors.extend({"file": file, **e} for e in kept)
    record_errors(session, batch_id=summary.batch_id, file=file, errors=kept)


def _finish(engine: Engine, summary: ImportSummary, *, status: str, message: str | None) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == summary.batch_id)  # type: ignore[arg-type]
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
