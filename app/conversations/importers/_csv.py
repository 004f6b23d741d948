"""CSV files read as records: one row at a time, each a dict keyed by the header's column names.

Rows are streamed: the file goes line by line (a quoted field may hold newlines, so a row may span several
lines) and only the row being read is held. A row is at most MAX_RECORD_BYTES; a row errs on the line it
starts on. A row the CSV syntax cannot end (a field over the limit) stops the file with its reason: past it,
no row boundary can be trusted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from ._json import BOM, megabytes
from ._records import Record
from .base import MAX_RECORD_BYTES, FileFormatError, RecordError

_COMMA = ord(",")


def csv_header(head: bytes) -> list[str] | None:
    """The column names in a file head's first line, or None when that line is not a CSV header (JSON, no
    comma, not UTF-8)."""
    line = head.removeprefix(BOM).split(b"\n", 1)[0]
    if not line or line[0] in b"{[" or _COMMA not in line:
        return None
    try:
        names = next(csv.reader([line.decode()]), None)
    except (UnicodeDecodeError, csv.Error):
        return None
    return [name.strip() for name in names] if names else None


class _TooLarge(Exception):
    """A row over MAX_RECORD_BYTES (its end is not looked for: the rest of the file is not read)."""


class _Lines:
    """The file's lines as text for csv.reader, counting the bytes of the row being read and noting the
    first line that is not valid UTF-8 (read with replacement characters so the row still ends)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._readline = stream.readline
        self.number = 0
        self.row_bytes = 0
        self.bad_utf8: str | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._readline(MAX_RECORD_BYTES + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if self.number == 1:
            line = line.removeprefix(BOM)
        self.row_bytes += len(line)
        if self.row_bytes > MAX_RECORD_BYTES:
            raise _TooLarge
        try:
            return line.decode()
        except UnicodeDecodeError as exc:
            if self.bad_utf8 is None:
                self.bad_utf8 = f"not valid UTF-8 at byte {exc.start} of line {self.number}"
            return line.decode(errors="replace")

    def next_row(self) -> None:
        self.row_bytes = 0
        self.bad_utf8 = None


def iter_csv_records(stream: IO[bytes]) -> Iterator[Record | RecordError]:
    """Each row of a CSV file with a header line as a Record of {column: text} at the row's first line."""
    # The csv module caps a field at 128K characters by default (process-wide); a row's bytes are bounded
    # here instead, so the cap only has to let a field as large as a row through.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))
    lines = _Lines(stream)
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except (csv.Error, _TooLarge) as exc:
        raise FileFormatError(f"the CSV header cannot be read: {_reason(exc)}") from None
    if not header:
        raise FileFormatError("file is empty")
    names = [name.strip() for name in header]
    seen = False
    while True:
        start = lines.number + 1
        lines.next_row()
        try:
            row = next(reader, None)
        except (csv.Error, _TooLarge) as exc:
            yield RecordError(f"{_reason(exc)}; the rest of the file is not read", line=start)
            return
        if row is None:
            break
        if not row:
            continue  # a blank line
        seen = True
        if lines.bad_utf8 is not None:
            yield RecordError(lines.bad_utf8, line=start)
        elif len(row) != len(names):
            yield RecordError(f"expected {len(names)} columns as in the header, got {len(row)}", line=start)
        else:
            yield Record(dict(zip(names, row, strict=True)), line=start)
    if not seen:
        raise FileFormatError("the CSV file has a header but no rows")


def _reason(exc: Exception) -> str:
    if isinstance(exc, _TooLarge):
        return f"the CSV row is over the {megabytes(MAX_RECORD_BYTES)} MB limit"
    return f"invalid CSV: {exc}"
