"""Worker processes for a large import: they read, parse, hash and analyze files; the importing process writes.

Each worker is `python -m app.conversations.parallel`, a fresh interpreter that imports only the readers
(no database code, no web framework), so it starts in about a tenth of a second. Files go to the workers
in turn and their results are taken back in file order, so a parallel import stores exactly what a serial
one stores, in the same order.

The pipes are the bounds: a worker blocks once the importing process stops reading its results, so memory
stays at a few chunks per worker whatever the import's size. A worker that dies (killed, out of memory)
ends the import with an ImportWorkerError naming the file; the chunks written before stay whole, and the
chunk being collected is never written. Workers ignore Ctrl-C (the importing process stops them) and leave
by themselves when the importing process goes away (their input closes, their output breaks).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import traceback
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import app
from app.conversations.files import InputFile, reopen
from app.conversations.importers import load_all
from app.conversations.importers.base import ParsedConversation, ParseResult
from app.conversations.reading import FileRead, prepared, read_file
from app.errors import PairwiseError
from app.pipes import widen

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<Q")
# Files go to a worker in batches of up to this many files or bytes (one message each way per batch for a
# folder of small sessions, not two per file).
BATCH_FILES = 32
BATCH_BYTES = 4 * 1024 * 1024
# Batches handed to each worker before their results are taken: one in work, three waiting. Results are taken
# in file order, so a worker ahead of the one read next keeps working meanwhile; with one batch waiting it ran
# out and idled (W1 on two cores: idle 0.14 to 0.16 cores against 0.10 to 0.13, median 2.57 s against 2.53 s
# of eight imports).
AHEAD_BATCHES = 4
# Task batches stay well under a pipe's 64 KB, so handing one out never blocks this process (names
# beyond this length close a batch early).
BATCH_NAME_CHARS = 16_000
# A worker sends what it has once it holds this many records or this many bytes of content
# (ParsedConversation.size: the turns' text and blocks, so a tool's long output counts).
CHUNK_RECORDS = 256
CHUNK_BYTES = 4 * 1024 * 1024


class ImportWorkerError(PairwiseError):
    """An import worker process failed; the import stops (what was stored before stays whole)."""


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)


def _receive(stream: IO[bytes]) -> Any:
    """The next message, or None when the other side closed the pipe."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)  # noqa: S301 - our own worker wrote it (or the importing process)


class _Ticket:
    """One file handed to a worker; `read` is filled in when the worker is done with it."""

    __slots__ = ("item", "read", "worker")

    def __init__(self, item: InputFile, worker: _Worker) -> None:
        self.item = item
        self.worker = worker
        self.read = FileRead()


class _Worker:
    def __init__(self, format: str) -> None:
        # The worker must find this `app` package even when this process found it through sys.path.
        root = str(Path(app.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.conversations.parallel", format],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # Ctrl-C reaches the importing process, which stops the workers
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.tasks: IO[bytes] = self.process.stdin
        self.results: IO[bytes] = self.process.stdout
        # A chunk of results is megabytes: with Linux's 64 KB pipe a worker stopped at every 64 KB until this
        # process read, and on two cores it often waited for a core then (W1: 2.80 s against 2.65 s with 1 MB,
        # the median of six imports each).
        widen(self.results.fileno())
        self.filling: list[_Ticket] = []  # the batch being put together
        self.filling_bytes = self.filling_chars = 0
        self.sent: deque[list[_Ticket]] = deque()  # batches handed out, oldest first
        self.events: deque[Any] = deque()  # results received and not taken yet

    def add(self, ticket: _Ticket) -> bool:
        """Put a file in the batch being filled; True once that batch is full (and was sent)."""
        self.filling.append(ticket)
        self.filling_bytes += ticket.item.size
        self.filling_chars += len(ticket.item.name) + len(ticket.item.origin[1] if ticket.item.origin else "")
        full = (
            len(self.filling) >= BATCH_FILES
            or self.filling_bytes >= BATCH_BYTES
            or self.filling_chars >= BATCH_NAME_CHARS
        )
        if full:
            self.send_batch()
        return full

    def send_batch(self) -> None:
        if not self.filling:
            return
        try:
            _send(self.tasks, [(t.item.origin, t.item.name, t.item.size, t.item.limit) for t in self.filling])
            self.tasks.flush()
        except OSError:  # the worker is gone (its pipe broke)
            raise self._stopped(self.filling[0]) from None
        self.sent.append(self.filling)
        self.filling, self.filling_bytes, self.filling_chars = [], 0, 0

    def next_event(self, ticket: _Ticket) -> Any:
        if not self.events:
            if not self.sent or ticket not in self.sent[0]:
                self.send_batch()  # the file waits in a batch not handed out yet
            message = _receive(self.results)
            if message is None:
                raise self._stopped(ticket)
            if message[0] == "crash":
                message = ("events", [("crash", ticket.item.name, message[1], 0)])
            self.events.extend(message[1])
        event = self.events.popleft()
        if event[0] == "crash":
            log.error("import worker failed on %s:\n%s", event[1], event[2])
            raise ImportWorkerError(
                f"an import worker process failed while reading {event[1]} (details are in the server log); "
                "what was stored before is complete"
            )
        return event

    def _stopped(self, ticket: _Ticket) -> ImportWorkerError:
        code = self.process.wait()
        return ImportWorkerError(
            f"an import worker process stopped unexpectedly (exit status {code}) while reading "
            f"{ticket.item.name}; what was stored before is complete, import the same files again to resume"
        )

    def finished(self, ticket: _Ticket) -> None:
        batch = self.sent[0]
        if batch[0] is not ticket:
            raise RuntimeError("import worker results taken out of order")
        batch.pop(0)
        if not batch:
            self.sent.popleft()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.tasks, self.results):
            with contextlib.suppress(OSError):  # a pipe to a killed process may refuse the last flush
                stream.close()


class WorkerPool:
    """`count` worker processes reading files in turn; use as a context manager (workers end with it)."""

    def __init__(self, count: int, *, format: str) -> None:
        self.workers: list[_Worker] = []
        try:
            for _ in range(count):
                self.workers.append(_Worker(format))
        except BaseException:
            self.close()
            raise
        self.next = 0

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()

    @property
    def capacity(self) -> int:
        """How many files may be handed out before the first one's results are taken."""
        return AHEAD_BATCHES * BATCH_FILES * len(self.workers)

    def submit(self, item: InputFile) -> _Ticket:
        """Hand a file to the workers (in batches, each worker in turn)."""
        worker = self.workers[self.next]
        ticket = _Ticket(item, worker)
        if worker.add(ticket):
            self.next = (self.next + 1) % len(self.workers)
        return ticket

    def results(
        self, ticket: _Ticket, progress: Callable[[int], None] | None = None
    ) -> Iterator[ParseResult]:
        """The file's records in order, taken from its worker; tickets must be read in the order submitted.

        Events: ("records", [results], format, bytes read), ("log", logger, level, text, 0) and, last,
        ("done", format, sha256, bytes read).
        """
        worker = ticket.worker
        while True:
            event = worker.next_event(ticket)
            kind = event[0]
            if kind == "log":
                logging.getLogger(event[1]).log(event[2], "%s", event[3])
                continue
            if progress is not None and event[-1]:
                progress(event[-1])
            if kind == "done":
                ticket.read.format, ticket.read.sha256 = event[1], event[2]
                worker.finished(ticket)
                return
            ticket.read.format = event[2]
            yield from event[1]


class _Forward(logging.Handler):
    """Passes this worker's log records to the importing process, which logs them with its own settings."""

    def __init__(self, events: list[Any]) -> None:
        super().__init__()
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(("log", record.name, record.levelno, self.format(record), 0))


def _work(tasks: IO[bytes], results: IO[bytes], format: str) -> None:
    archives: dict[str, zipfile.ZipFile] = {}
    events: list[Any] = []
    logging.getLogger().addHandler(_Forward(events))
    logging.getLogger().setLevel(logging.INFO)
    read_bytes = records = held = 0  # held: bytes of content collected since the last message

    def advance(done: int) -> None:
        nonlocal read_bytes
        read_bytes += done

    def event(*fields: Any) -> None:
        nonlocal read_bytes
        events.append((*fields, read_bytes))
        read_bytes = 0

    def send() -> None:
        nonlocal records, held
        _send(results, ("events", events))
        results.flush()
        events.clear()
        records = held = 0

    while (batch := _receive(tasks)) is not None:
        for origin, name, size, limit in batch:
            try:
                item = reopen(name, size, limit, origin, archives)
                read = FileRead()
                found: list[ParseResult] = []
                for result in prepared(read_file(item, format=format, read=read, progress=advance)):
                    if isinstance(result, ParsedConversation):
                        held += result.size
                    found.append(result)
                    records += 1
                    if records >= CHUNK_RECORDS or held >= CHUNK_BYTES:
                        event("records", found, read.format)
                        found = []
                        send()
            except Exception:
                # The files before this one are done: they go first, then what failed and where.
                event("crash", name, traceback.format_exc())
                send()
                raise SystemExit(1) from None
            if found:
                event("records", found, read.format)
            event("done", read.format, read.sha256)
        send()
    for archive in archives.values():
        archive.close()


def main() -> None:
    """The worker: file tasks in on stdin, records out on stdout, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_all()  # the readers are imported at their first use; a worker uses them all
    gc.freeze()  # the modules' objects: full collections need not walk them for every file
    tasks = sys.stdin.buffer
    # The protocol owns the real stdout; a stray print goes to stderr instead of corrupting it.
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _work(tasks, results, sys.argv[1])
    except BrokenPipeError:
        os._exit(0)  # the importing process went away: nobody to tell
    except SystemExit as exc:
        os._exit(int(exc.code or 0))
    except BaseException:
        with contextlib.suppress(OSError):
            _send(results, ("crash", traceback.format_exc()))
            results.flush()
        os._exit(1)


if __name__ == "__main__":
    main()
