"""Streaming file writers whose bytes depend only on the rows: JSONL via orjson, Parquet via pyarrow.

Each writer fills `<name>.partial` and renames it into place on close, so a crash never leaves a
half-written file under the final name.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from app.releases.models import ReleaseKind

# Rows per Parquet row group: fixed, so the file layout does not depend on batch timing.
ROW_GROUP_SIZE = 1000
PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": False,  # message texts are unique: a dictionary only costs time
    "write_statistics": True,
    "data_page_version": "1.0",
}
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


class JsonlWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._partial = partial_path(path)
        self._file: IO[bytes] = self._partial.open("wb", buffering=1 << 20)
        self._hash = hashlib.sha256()
        self._rows = 0
        self._bytes = 0

    def write(self, row: dict[str, Any]) -> None:
        # No OPT_SORT_KEYS: the row builders fix the key order, which keeps `messages` readable.
        line = orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
        self._file.write(line)
        self._hash.update(line)
        self._rows += 1
        self._bytes += len(line)

    def close(self) -> WrittenFile:
        self._file.close()
        os.replace(self._partial, self.path)
        return WrittenFile(self.path, self._rows, self._hash.hexdigest(), self._bytes)

    def abort(self) -> None:
        self._file.close()
        self._partial.unlink(missing_ok=True)


class ParquetWriter:
    def __init__(self, path: Path, *, kind: ReleaseKind) -> None:
        self.path = path
        self._partial = partial_path(path)
        self._schema = SFT_SCHEMA if kind == ReleaseKind.sft else DPO_SCHEMA
        self._writer = pq.ParquetWriter(self._partial, self._schema, **PARQUET_OPTIONS)
        self._buffer: list[dict[str, Any]] = []
        self._rows = 0

    def write(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= ROW_GROUP_SIZE:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            batch = pa.RecordBatch.from_pylist(self._buffer, schema=self._schema)
            self._writer.write_batch(batch, row_group_size=ROW_GROUP_SIZE)
            self._rows += len(self._buffer)
            self._buffer = []

    def close(self) -> WrittenFile:
        self._flush()
        self._writer.close()
        os.replace(self._partial, self.path)
        return WrittenFile(self.path, self._rows, *file_digest(self.path))

    def abort(self) -> None:
        self._writer.close()
        self._partial.unlink(missing_ok=True)


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
