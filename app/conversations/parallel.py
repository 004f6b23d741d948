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
from app.conversations.importers.base import ParsedConversation, ParseResult
from app.conversations.reading import FileRead, prepare, read_file
from app.errors import PairwiseError

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<Q")
# A worker sends what it has once it holds this many records or this many characters of turn text.
CHUNK_RECORDS = 64
CHUNK_CHARS = 2_000_000
# Files handed to each worker before their results are taken: enough to keep it busy, small enough that
# the task messages always fit in the pipe (the importing process never blocks writing one).
AHEAD_PER_WORKER = 8


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
        self.queued: deque[_Ticket] = deque()

    def submit(self, ticket: _Ticket) -> None:
        item = ticket.item
        _send(self.tasks, (item.origin, item.name, item.size, item.limit))
        self.tasks.flush()
        self.queued.append(ticket)

    def receive(self, ticket: _Ticket) -> Any:
        message = _receive(self.results)
        if message is None:
            code = self.process.wait()
            raise ImportWorkerError(
                f"an import worker process stopped unexpectedly (exit status {code}) while reading "
                f"{ticket.item.name}; what was stored before is complete, import the same files again to resume"
            )
        if message[0] == "crash":
            log.error("import worker failed on %s:\n%s", ticket.item.name, message[1])
            raise ImportWorkerError(
                f"an import worker process failed while reading {ticket.item.name} (details are in the server "
                "log); what was stored before is complete"
            )
        return message

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
        return AHEAD_PER_WORKER * len(self.workers)

    def submit(self, item: InputFile) -> _Ticket:
        worker = self.workers[self.next % len(self.workers)]
        self.next += 1
        ticket = _Ticket(item, worker)
        worker.submit(ticket)
        return ticket

    def results(
        self, ticket: _Ticket, progress: Callable[[int], None] | None = None
    ) -> Iterator[ParseResult]:
        """The file's records in order, taken from its worker; tickets must be read in the order submitted.

        Messages: ("records", [results], format, bytes read), ("log", logger, level, text) and, last,
        ("done", format, sha256, bytes read).
        """
        worker = ticket.worker
        if not worker.queued or worker.queued[0] is not ticket:
            raise RuntimeError("import worker results taken out of order")
        while True:
            message = worker.receive(ticket)
            kind = message[0]
            if kind == "log":
                logging.getLogger(message[1]).log(message[2], "%s", message[3])
                continue
            if progress is not None and message[3]:
                progress(message[3])
            if kind == "done":
                ticket.read.format, ticket.read.sha256 = message[1], message[2]
                worker.queued.popleft()
                return
            ticket.read.format = message[2]
            yield from message[1]


class _Forward(logging.Handler):
    """Sends this worker's log records to the importing process, which logs them with its own settings."""

    def __init__(self, results: IO[bytes]) -> None:
        super().__init__()
        self.results = results

    def emit(self, record: logging.LogRecord) -> None:
        _send(self.results, ("log", record.name, record.levelno, self.format(record)))


def _work(tasks: IO[bytes], results: IO[bytes], format: str) -> None:
    archives: dict[str, zipfile.ZipFile] = {}
    logging.getLogger().addHandler(_Forward(results))
    logging.getLogger().setLevel(logging.INFO)
    read_bytes = 0

    def advance(done: int) -> None:
        nonlocal read_bytes
        read_bytes += done

    def send(message: tuple[Any, ...]) -> None:
        nonlocal read_bytes
        _send(results, (*message, read_bytes))
        results.flush()
        read_bytes = 0

    while (task := _receive(tasks)) is not None:
        origin, name, size, limit = task
        item = reopen(name, size, limit, origin, archives)
        read = FileRead()
        batch: list[ParseResult] = []
        chars = 0
        for result in read_file(item, format=format, read=read, progress=advance):
            if isinstance(result, ParsedConversation):
                prepare(result)
                chars += sum(len(turn.text) for turn in result.turns)
            batch.append(result)
            if len(batch) >= CHUNK_RECORDS or chars >= CHUNK_CHARS:
                send(("records", batch, read.format))
                batch, chars = [], 0
        if batch:
            send(("records", batch, read.format))
        send(("done", read.format, read.sha256))
    for archive in archives.values():
        archive.close()


def main() -> None:
    """The worker: file tasks in on stdin, records out on stdout, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # the modules' objects: full collections need not walk them for every file
    tasks = sys.stdin.buffer
    # The protocol owns the real stdout; a stray print goes to stderr instead of corrupting it.
    results = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        _work(tasks, results, sys.argv[1])
    except BrokenPipeError:
        os._exit(0)  # the importing process went away: nobody to tell
    except BaseException:
        with contextlib.suppress(OSError):
            _send(results, ("crash", traceback.format_exc()))
            results.flush()
        os._exit(1)


if __name__ == "__main__":
    main()
