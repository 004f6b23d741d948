"""Parquet files (how Hugging Face hosts public datasets: LMSYS-Chat-1M, WildChat, Chatbot Arena, UltraFeedback,
HH-RLHF conversions, OpenAssistant) read as the JSON Lines records their rows are.

A Parquet file starts and ends with `PAR1`. Its rows are read in batches (pyarrow, imported only when a Parquet
file comes in) and written out as one JSON object per line, so format detection and every record reader work on
them unchanged: an error names the row as its line (row 1 is line 1). Values JSON has no type for are written as
text (decimals, times of day, durations) or left out as null (binary columns, such as images).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import orjson

from app.conversations.files import InputFile
from app.conversations.importers.base import FileFormatError

MAGIC = b"PAR1"
BATCH_ROWS = 256


def is_parquet(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _value(value: Any) -> Any:
    """What orjson cannot write itself: binary as null, anything else (decimals, times of day, durations) as
    its text, so no column type stops a file."""
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    return str(value)


def _lines(item: InputFile) -> Iterator[bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = item.opener()
    try:
        try:
            rows = pq.ParquetFile(source).iter_batches(batch_size=BATCH_ROWS)
            for batch in rows:
                for row in batch.to_pylist():
                    yield orjson.dumps(row, default=_value, option=orjson.OPT_APPEND_NEWLINE)
        except (pa.ArrowException, OSError) as exc:
            raise FileFormatError(f"not a readable Parquet file: {exc}") from None
    finally:
        source.close()


class _Rows(io.RawIOBase):
    """The rows' JSON Lines as a readable stream."""

    def __init__(self, lines: Iterator[bytes]) -> None:
        self._lines = lines
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        """As many rows as fit (so a peek at the head sees several records, as in a JSON Lines file)."""
        view = memoryview(buffer).cast("B")
        written = 0
        while written < len(view):
            if not self._pending:
                line = next(self._lines, None)
                if line is None:
                    break
                self._pending = line
            n = min(len(view) - written, len(self._pending))
            view[written : written + n] = self._pending[:n]
            self._pending = self._pending[n:]
            written += n
        return written


def parquet_records(item: InputFile) -> io.BufferedReader:
    """The file's rows as a JSON Lines stream (read lazily, a batch of rows at a time)."""
    return io.BufferedReader(_Rows(_lines(item)), buffer_size=1 << 20)
