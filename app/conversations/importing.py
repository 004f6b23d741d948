"""The import run: files in, conversations stored in chunks across files, a truthful batch record out."""

from __future__ import annotations

import gc
import itertools
import logging
import os
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import col

from app.config import available_cpus
from app.conversations.files import Input, InputFile, Limits, NotConversation, SkippedInput, iter_input_files
from app.conversations.import_writer import (
    ANALYZE_AFTER,
    BATCH_TABLE,
    FileTally,
    ImportSummary,
    Progress,
    Writer,
)
from app.conversations.importers import FORMATS
from app.conversations.importers.base import ParseResult, RecordError, Skipped
from app.conversations.models import ImportBatch
from app.conversations.parallel import WorkerPool
from app.conversations.reading import FileRead, prepared, read_file
from app.conversations.service import (
    FileContext,
)
from app.conversations.upkeep import analyze_imported
from app.db import session_scope
from app.errors import ImportInputError, public_message
from app.liveness import heartbeat, owner_tag
from app.models_base import utcnow

log = logging.getLogger(__name__)

# An import reaching this many bytes or files is read by worker processes while this one writes; a smaller
# one is read here (starting workers would cost more than it saves).
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
PARALLEL_MIN_FILES = 500
MAX_WORKERS = 4
# Linux's instant count of runnable tasks (4th field, "running/total"), sampled every this many inputs
# while the planner looks at the first ones.
LOADAVG_PATH = "/proc/loadavg"
BUSY_SAMPLE_EVERY = 25
# At least this many samples, this far apart, before deciding: an import of a few large files looks at one
# input, and one instant can catch a task that runs for a moment (the database server writing back what the
# previous import left), which read everything here at two thirds of the speed.
BUSY_MIN_SAMPLES = 5
BUSY_SAMPLE_PAUSE = 0.01
# Containers allocated between two young garbage collections while an import runs (see _EasedCollection).
IMPORT_GC_THRESHOLD = 50_000


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
    writer = Writer(engine, summary, chunk_size)
    try:
        with heartbeat(engine, BATCH_TABLE, batch_id), _eased_collection():
            count, items = _plan_workers(iter_input_files(paths, limits=limits), workers)
            summary.workers = count
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


class _EasedCollection:
    """Garbage collection while imports run in this process: the objects that existed before are frozen, and
    a young collection waits for IMPORT_GC_THRESHOLD new containers instead of 700.

    An import allocates millions of short-lived containers. Every full collection would walk all of the
    application's objects again (a fifth of a large import's time, before the freeze). The records received
    from the workers live until their chunk is written, so each young collection walked them again and moved
    them to older generations to be walked there: 0.25 s of the importing process's CPU in W1 (10,000
    sessions), 0.06 s with the higher threshold. Cycles are still collected, less often; the frozen objects'
    cycles after the last import ends. Imports running side by side in one process share one easing: the
    first sets it, the last restores the thresholds and unfreezes.

    A process that had frozen objects before (the web app freezes what its start-up made, and its embedded
    worker runs imports) has them frozen again afterwards: the last import collects what became garbage, then
    freezes what is alive. Before, the first import in `pairwise serve` lifted the start-up freeze for good,
    and every full collection walked the application's objects again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._thresholds: tuple[int, ...] = gc.get_threshold()
        self._frozen_before = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._frozen_before = gc.get_freeze_count() > 0
                self._thresholds = gc.get_threshold()
                gc.set_threshold(max(IMPORT_GC_THRESHOLD, self._thresholds[0]), *self._thresholds[1:])
            gc.freeze()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    gc.set_threshold(*self._thresholds)
                    gc.unfreeze()
                    if self._frozen_before:
                        gc.collect()
                        gc.freeze()


_eased_collection = _EasedCollection()


def _plan_workers(items: Iterator[Input], workers: int | None) -> tuple[int, Iterator[Input]]:
    """How many worker processes read this import, and its inputs (the ones looked at put back in front)."""
    if workers is not None:
        return max(workers, 0), items
    if not sys.executable:
        return 0, items  # an embedded interpreter cannot start workers
    seen: list[Input] = []
    size = 0
    busy: list[float] = []
    for item in items:
        seen.append(item)
        size += item.size if isinstance(item, InputFile) else 0
        if len(seen) % BUSY_SAMPLE_EVERY == 1:
            busy.append(_others_running())
        if size >= PARALLEL_MIN_BYTES or len(seen) >= PARALLEL_MIN_FILES:
            while len(busy) < BUSY_MIN_SAMPLES:
                time.sleep(BUSY_SAMPLE_PAUSE)
                busy.append(_others_running())
            return _idle_cores(sum(busy) / len(busy)), itertools.chain(seen, items)
    return 0, iter(seen)


def _others_running() -> float:
    """How many cores other processes use at this instant: the runnable tasks of /proc/loadavg besides the
    one reading it (Linux); elsewhere the 1-minute load average."""
    try:
        with open(LOADAVG_PATH) as loadavg:
            running = int(loadavg.read().split()[3].split("/")[0])
        return float(max(0, running - 1))
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def _idle_cores(others: float) -> int:
    """Workers for a large import, given how many cores other processes keep busy: one per idle core (at most
    MAX_WORKERS) when at least two are idle, else none.

    The importing process writes while the workers read, and is busy about 40% of the time; handing records
    over costs about a quarter more CPU than reading them here. Measured on two cores (10,000 sessions): both
    idle, two workers 2.1 s, one 2.5 s, none 2.9 s; one core busy with another process, none 2.9 to 3.2 s,
    one or two 3.1 to 3.5 s. The one-minute load average is not used: it still counts a process that ended
    seconds ago (one import right after another would start a single worker on an idle machine).
    """
    cores = available_cpus()
    idle = round(cores - others)
    return min(MAX_WORKERS, cores, idle) if idle >= 2 else 0


def _import_items(
    writer: Writer,
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
            tally = FileTally(item.name, 0)
            writer.reject(tally, {"line": None, "reason": item.reason})
            writer.file_done(tally)
        elif isinstance(item, NotConversation):
            tally = FileTally(item.name, item.size)
            tally.skipped[item.reason] += 1
            writer.file_done(tally)
        else:
            writer.summary.files += 1
            if ticket is None:
                read = FileRead()
                # Hashed and sized here as a worker would, so the chunks are bounded alike; the pairs are
                # found by the writer, only for the conversations it stores (a re-import finds none).
                results = prepared(read_file(item, format=format, read=read, progress=progress), pairs=False)
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
    writer: Writer, item: InputFile, results: Iterable[ParseResult], read: FileRead, *, source: str
) -> None:
    tally = FileTally(item.name, item.size)
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
        if result.dropped:
            tally.dropped += Counter(result.dropped)  # `+=` keeps only kinds counted more than none
        if not context:
            tally.format = read.format
            context.append(_context(writer, tally, source))
        writer.add(context[0], tally, result)
    tally.format, tally.sha256 = read.format, read.sha256
    if held is not None:
        _reject_whole_file(held, tally, reject)
    writer.file_done(tally)


def _reject_whole_file(
    held: list[RecordError], tally: FileTally, reject: Callable[[RecordError], None]
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


def _context(writer: Writer, tally: FileTally, source: str) -> FileContext:
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
