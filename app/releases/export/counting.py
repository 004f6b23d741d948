"""Token counts of a lint's rows, counted in batches, partly in a forked worker process.

Counting tokens is most of a linted export's time (bpe-openai holds the GIL, so threads would not help),
and it needs nothing but the texts. Rows are gathered in batches; with a second CPU, a worker process
forked when the second batch is ready counts batches while this process goes on reading, building and
writing rows, and this process counts a batch itself whenever the worker already has enough waiting
(work stealing), so neither side idles, whatever else the machine is doing. A batch's counts do not
depend on who counted it, and results are handed back in the order the rows were added, so the report is
the same either way. Small exports (a batch or two) never start a worker. Memory stays bounded: at most
WORKER_DEPTH + 1 batches of texts are held, and the counter remembers a bounded window of recent texts.

A row's tokens are `head + good (+ bad)`: `head` is a constant plus the counts of some texts (the prompt
messages' longer values; short ones such as roles are counted here from a small cache), `good` and `bad`
are a constant plus the count of the chosen and the rejected text.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import stat
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from app.config import available_cpus
from app.pipes import widen
from app.releases.export.tokens import TokenCounter

# A batch ends at this many characters of text (or rows): a few ms of counting, and small enough that
# handing it to the worker is one write into the (enlarged) pipe, not a wait for the worker to read.
BATCH_CHARS = 400_000
ROWS_PER_BATCH = 1000
# Batches sent to the worker and not yet counted; beyond that this process counts the next one itself.
# Two of them fit in the pipe while the worker counts a third.
WORKER_DEPTH = 3
# prctl option: the signal this process gets when its parent thread exits (linux/prctl.h).
PR_SET_PDEATHSIG = 1
# Layout entries per row: head constant, number of head texts, good constant, bad constant.
_FIELDS = 4

RowResult = Callable[[Any, int, int], None]


def count_rows(
    counter: TokenCounter, texts: Sequence[str], layout: Sequence[int], dpo: bool
) -> tuple[array[int], array[int]]:
    """(total, longest trained sequence) per row of a batch; see the module docstring for the layout."""
    counts = counter.count_all(texts)
    totals: array[int] = array("q")
    longest: array[int] = array("q")
    at = 0
    for start in range(0, len(layout), _FIELDS):
        head_const, n_head, good_const, bad_const = layout[start : start + _FIELDS]
        head = head_const
        if n_head:
            head += sum(counts[at : at + n_head])
            at += n_head
        good = good_const + counts[at]
        at += 1
        if dpo:
            bad = bad_const + counts[at]
            at += 1
            totals.append(head + good + bad)
            longest.append(head + (good if good > bad else bad))
        else:
            totals.append(head + good)
            longest.append(head + good)
    return totals, longest


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when the parent dies (a kill -9 of a release build or of the server)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request above took effect
        os._exit(0)


def _close_inherited(keep: set[int]) -> None:
    """Close the sockets a fork copied (the server's listening socket, database connections).

    A child holding the listening socket keeps the port bound after the server dies, so a restart fails
    with "address already in use". Pipes other than our own and regular files are left alone: the
    multiprocessing sentinel is one of them, and closing it would make the parent think we exited.
    """
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return
    for name in names:
        fd = int(name)
        if fd in keep or fd < 3:
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)


def _serve(
    jobs: Connection, results: Connection, model: str, parent: int, parent_ends: tuple[Connection, ...]
) -> None:
    """The worker: count each batch received, until told to stop or the parent goes away.

    It ends with `os._exit`: a forked child must not run the parent's exit handlers or flush buffers it
    inherited (stdout, open files), and has nothing of its own to clean up. The parent's ends of the pipes
    are closed here, so a dead parent reads as end-of-file on `jobs` instead of a wait forever.
    """
    try:
        _die_with_parent(parent)
        for end in parent_ends:
            with contextlib.suppress(OSError):
                end.close()
        _close_inherited({jobs.fileno(), results.fileno()})
        counter = TokenCounter(model)
        while True:
            job = jobs.recv()
            if job is None:
                break
            try:
                result: tuple[array[int], array[int]] | None = count_rows(counter, *job)
            except Exception:
                result = None  # the parent counts this batch itself, and sees the error if there is one
            results.send(result)
    finally:
        os._exit(0)


@dataclass(slots=True)
class _Batch:
    texts: list[str] = field(default_factory=list)
    layout: array[int] = field(default_factory=lambda: array("q"))
    tags: list[Any] = field(default_factory=list)
    chars: int = 0
    result: tuple[array[int], array[int]] | None = None


class _Worker:
    """The forked counting process, with a pipe for batches and one for their counts."""

    def __init__(self, model: str) -> None:
        context = multiprocessing.get_context("fork")
        jobs_out, self.jobs = context.Pipe(duplex=False)
        self.results, results_in = context.Pipe(duplex=False)
        widen(self.jobs.fileno())  # not Linux, or a lower limit: sends may wait
        self.process = context.Process(
            target=_serve,
            args=(jobs_out, results_in, model, os.getpid(), (self.jobs, self.results)),
            name="pairwise-token-counter",
            daemon=True,
        )
        try:
            self.process.start()
        except BaseException:
            self.jobs.close()
            self.results.close()
            raise
        finally:
            jobs_out.close()
            results_in.close()

    def stop(self, *, graceful: bool) -> None:
        if graceful:
            with contextlib.suppress(OSError):
                self.jobs.send(None)
        else:
            self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.jobs.close()
        self.results.close()


class RowTokens:
    """Token counts of rows, reported through `on_row(tag, total, longest)` in the order rows were added."""

    def __init__(self, counter: TokenCounter, model: str, *, dpo: bool, on_row: RowResult) -> None:
        self._counter = counter
        self._model = model
        self._dpo = dpo
        self._on_row = on_row
        self._batch = _Batch()
        self._queue: deque[_Batch] = deque()  # dispatched batches in row order, counted or at the worker
        self._at_worker = 0  # batches sent and not answered yet
        self._dispatched = 0
        self._worker: _Worker | None = None
        self._may_fork = available_cpus() > 1

    def add(
        self,
        tag: Any,
        head_const: int,
        head_texts: list[str],
        good_const: int,
        chosen: str,
        bad_const: int,
        rejected: str,
    ) -> None:
        batch = self._batch
        if head_texts:
            batch.texts.extend(head_texts)
        batch.texts.append(chosen)
        if self._dpo:
            batch.texts.append(rejected)
        batch.layout.extend((head_const, len(head_texts), good_const, bad_const))
        batch.tags.append(tag)
        batch.chars += len(chosen) + len(rejected) + sum(map(len, head_texts))
        if batch.chars >= BATCH_CHARS or len(batch.tags) >= ROWS_PER_BATCH:
            self._dispatch()

    def finish(self) -> None:
        """Count what is left, report every row, and stop the worker."""
        if self._batch.tags:
            self._dispatch(last=True)
        self._collect(wait=True)
        self._stop(graceful=True)

    def close(self) -> None:
        """Stop the worker at once (a failed export); rows not reported yet are dropped."""
        self._stop(graceful=False)

    def _stop(self, *, graceful: bool) -> None:
        self._may_fork = False
        worker, self._worker = self._worker, None
        self._at_worker = 0
        if worker is not None:
            worker.stop(graceful=graceful)

    def _dispatch(self, *, last: bool = False) -> None:
        batch, self._batch = self._batch, _Batch()
        self._collect(wait=False)  # answers already in count as done when deciding who counts this one
        # Work stealing: the worker gets the batch unless it has enough waiting; then it is counted here.
        # The last, partial batch is always counted here (a worker started for it would not pay off).
        # The first batch is counted here too: an export of a batch or two is done before a fork pays off.
        sent = False
        if not last and self._dispatched and self._at_worker < WORKER_DEPTH and self._start_worker():
            assert self._worker is not None
            try:
                self._worker.jobs.send((batch.texts, batch.layout, self._dpo))
            except OSError:
                self._stop(graceful=False)  # the worker died: what it had is counted here
            else:
                self._at_worker += 1
                sent = True
        if not sent:
            batch.result = count_rows(self._counter, batch.texts, batch.layout, self._dpo)
        self._dispatched += 1
        self._queue.append(batch)
        self._collect(wait=False)

    def _collect(self, *, wait: bool) -> None:
        """Report the counted batches at the front of the queue; with `wait`, every batch."""
        while self._queue:
            head = self._queue[0]
            if head.result is None:
                # The oldest batch still at the worker: its answer is the next one on the pipe.
                worker = self._worker
                if worker is None:
                    head.result = count_rows(self._counter, head.texts, head.layout, self._dpo)
                else:
                    if not wait and not worker.results.poll():
                        return
                    try:
                        result = worker.results.recv()
                    except (EOFError, OSError):
                        self._stop(graceful=False)  # the worker died: what it had is counted here
                        continue
                    self._at_worker -= 1
                    head.result = result or count_rows(self._counter, head.texts, head.layout, self._dpo)
            self._queue.popleft()
            totals, longest = head.result
            on_row = self._on_row
            for tag, total, most in zip(head.tags, totals, longest, strict=True):
                on_row(tag, total, most)

    def _start_worker(self) -> bool:
        if self._worker is not None:
            return True
        if not self._may_fork:
            return False
        self._may_fork = False  # one attempt per export
        try:
            self._worker = _Worker(self._model)
        except (ValueError, OSError, AssertionError):
            return False  # no fork on this platform, or a daemonic process may not have children
        return True
