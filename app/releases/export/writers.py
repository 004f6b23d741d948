"""Streaming file writers whose bytes depend only on the rows: JSONL via orjson, Parquet via pyarrow.

Each writer fills `<name>.partial` and renames it into place on close, so a crash never leaves a
half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, Protocol

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from app.releases.models import ReleaseKind

# Rows per Parquet row group: fixed, so the file layout does not depend on batch timing.
ROW_GROUP_SIZE = 1000
# JSONL bytes collected before one hash update and one write.
CHUNK_BYTES = 1 << 20
PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": False,  # message texts are unique: a dictionary only costs time
    "write_statistics": True,
    "data_page_version": "1.0",
}
# Arrays are built on the exporting thread and freed on the writer thread: malloc gives that memory back
# sooner than the default per-thread pools (mimalloc), some 20-30 MB less peak RSS on 100k pairs.
_MEMORY_POOL = pa.system_memory_pool()
_MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
_MESSAGES = pa.list_(_MESSAGE)
SFT_SCHEMA = pa.schema([("messages", _MESSAGES)])
DPO_SCHEMA = pa.schema([("prompt", _MESSAGES), ("chosen", _MESSAGES), ("rejected", _MESSAGES)])


@dataclass(frozen=True, slots=True)
class WrittenFile:
    path: Path
    rows: int
    sha256: str
    bytes: int


class RowWriter(Protocol):
    def write(self, row: dict[str, Any]) -> None: ...

    def close(self) -> WrittenFile: ...

    def abort(self) -> None: ...


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


class _InOrder:
    """Runs calls one after another on a thread of its own, at most `depth` waiting.

    Hashing, compressing and writing release the GIL, so they overlap the next rows' Python work on a
    second core; the calls run in submission order, so the bytes are the same as when run inline. An error
    is raised on the next `submit` or at `finish`.
    """

    def __init__(self, name: str, depth: int = 2) -> None:
        self._queue: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._error is None:
                try:
                    job()
                except BaseException as exc:
                    self._error = exc

    def submit(self, job: Callable[[], object]) -> None:
        self._raise()
        self._queue.put(job)

    def finish(self, *, raise_error: bool = True) -> None:
        """Wait for every submitted call; raise the first error unless told not to."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if raise_error:
            self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


class JsonlWriter:
    """Lines are collected and hashed and written a chunk at a time: two calls per ~1 MiB, not per row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._partial = partial_path(path)
        self._file: IO[bytes] = self._partial.open("wb")
        self._hash = hashlib.sha256()
        self._io = _InOrder("jsonl-writer")
        self._lines: list[bytes] = []
        self._pending = 0
        self._rows = 0
        self._bytes = 0

    def write(self, row: dict[str, Any]) -> None:
        # No OPT_SORT_KEYS: the row builders fix the key order, which keeps `messages` readable.
        line = orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
        self._lines.append(line)
        self._pending += len(line)
        if self._pending >= CHUNK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._lines:
            chunk = b"".join(self._lines)
            self._rows += len(self._lines)
            self._lines.clear()
            self._pending = 0
            self._io.submit(partial(self._write_chunk, chunk))
            self._bytes += len(chunk)

    def _write_chunk(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self._file.write(chunk)

    def close(self) -> WrittenFile:
        self._flush()
        self._io.finish()
        self._file.close()
        os.replace(self._partial, self.path)
        return WrittenFile(self.path, self._rows, self._hash.hexdigest(), self._bytes)

    def abort(self) -> None:
        self._lines.clear()
        self._io.finish(raise_error=False)
        self._file.close()
        self._partial.unlink(missing_ok=True)


class ParquetWriter:
    """Rows are taken apart as they come: a column is a list of {role, content} messages, kept as flat
    lists of roles and contents plus list offsets, and handed to Arrow a row group at a time.

    Building the arrays from flat lists of strings is several times faster than `RecordBatch.from_pylist`
    on nested dicts and gives the same arrays, so the same file bytes; and holding strings instead of a
    row group of dicts keeps the garbage collector from walking them again and again. A row of another
    shape (a missing key, a message that is not an object) sends its row group to `from_pylist`, which
    decides what it becomes.
    """

    def __init__(self, path: Path, *, kind: ReleaseKind) -> None:
        self.path = path
        self._partial = partial_path(path)
        self._schema = SFT_SCHEMA if kind == ReleaseKind.sft else DPO_SCHEMA
        self._writer = pq.ParquetWriter(
            self._partial, self._schema, memory_pool=_MEMORY_POOL, **PARQUET_OPTIONS
        )
        self._io = _InOrder("parquet-writer")
        self._names = tuple(self._schema.names)
        self._columns = [_MessageColumn() for _ in self._names]
        self._pending = 0  # rows in the current row group
        self._irregular: list[Any] | None = None  # the row group's rows, once one did not fit the columns
        self._rows = 0

    def write(self, row: dict[str, Any]) -> None:
        if self._irregular is not None:
            self._irregular.append(row)
        else:
            try:
                for name, column in zip(self._names, self._columns, strict=True):
                    column.add(row[name])
            except (KeyError, TypeError, IndexError):
                self._irregular = [*self._rows_so_far(), row]
                self._columns = [_MessageColumn() for _ in self._names]
        self._pending += 1
        if self._pending >= ROW_GROUP_SIZE:
            self._flush()

    def _rows_so_far(self) -> list[dict[str, Any]]:
        """The complete rows of the current row group, rebuilt from the columns (a failed row undone)."""
        for column in self._columns:
            column.truncate(self._pending)
        return [
            {name: column.messages(index) for name, column in zip(self._names, self._columns, strict=True)}
            for index in range(self._pending)
        ]

    def _batch(self) -> pa.RecordBatch:
        if self._irregular is None:
            try:
                arrays = [column.array() for column in self._columns]
            except (pa.ArrowException, TypeError):
                pass  # a value Arrow will not take as text: from_pylist raises (or converts) as before
            else:
                return pa.RecordBatch.from_arrays(arrays, schema=self._schema)
            self._irregular = self._rows_so_far()
        return pa.RecordBatch.from_pylist(self._irregular, schema=self._schema)

    def _flush(self) -> None:
        if self._pending:
            self._io.submit(partial(self._writer.write_batch, self._batch(), row_group_size=ROW_GROUP_SIZE))
            self._rows += self._pending
            self._pending = 0
            self._irregular = None
            self._columns = [_MessageColumn() for _ in self._names]

    def close(self) -> WrittenFile:
        self._flush()
        self._io.finish()
        self._writer.close()
        os.replace(self._partial, self.path)
        return WrittenFile(self.path, self._rows, *file_digest(self.path))

    def abort(self) -> None:
        self._io.finish(raise_error=False)
        self._writer.close()
        self._partial.unlink(missing_ok=True)


class _MessageColumn:
    """One list<struct<role, content>> column of a row group as flat lists."""

    __slots__ = ("contents", "offsets", "roles")

    def __init__(self) -> None:
        self.offsets = [0]
        self.roles: list[Any] = []
        self.contents: list[Any] = []

    def add(self, messages: list[dict[str, Any]]) -> None:
        roles, contents = self.roles, self.contents
        for message in messages:
            roles.append(message["role"])
            contents.append(message["content"])
        self.offsets.append(len(roles))

    def truncate(self, rows: int) -> None:
        del self.offsets[rows + 1 :]
        del self.roles[self.offsets[-1] :]
        del self.contents[self.offsets[-1] :]

    def messages(self, index: int) -> list[dict[str, Any]]:
        start, end = self.offsets[index], self.offsets[index + 1]
        return [
            {"role": r, "content": c}
            for r, c in zip(self.roles[start:end], self.contents[start:end], strict=True)
        ]

    def array(self) -> pa.Array:
        pool = _MEMORY_POOL
        items = pa.StructArray.from_arrays(
            [
                pa.array(self.roles, type=pa.string(), memory_pool=pool),
                pa.array(self.contents, type=pa.string(), memory_pool=pool),
            ],
            fields=list(_MESSAGE),
            memory_pool=pool,
        )
        offsets = pa.array(self.offsets, type=pa.int32(), memory_pool=pool)
        return pa.ListArray.from_arrays(offsets, items, type=_MESSAGES, pool=pool)


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
