"""Chat apps that keep their chats in an SQLite database file: the file opened read-only for its readers.

The stream is copied to a temporary file first (a file inside an archive has no path of its own, and the
database must not be changed or locked), which is opened with `mode=ro&immutable=1`, untrusted schema
functions off; readers only select from plain tables. A file that SQLite cannot open is a FileFormatError.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter
from typing import IO, Any

from .base import FileFormatError

MAGIC = b"SQLite format 3\x00"


def is_sqlite(head: bytes) -> bool:
    return head.startswith(MAGIC)


@contextmanager
def opened(stream: IO[bytes], filename: str) -> Iterator[sqlite3.Connection]:
    """The database the stream holds, open read-only (the copy is removed afterwards). A write-ahead log
    beside the file on disk (`<file>-wal`: the app wrote and has not checkpointed yet) is read with it."""
    folder = tempfile.mkdtemp(prefix="pairwise-import-")
    path = os.path.join(folder, "chats.sqlite")
    try:
        with open(path, "wb") as copy:
            shutil.copyfileobj(stream, copy, 1 << 20)
        wal = filename + "-wal"
        if os.path.isfile(wal) and os.path.getsize(wal) > 0:
            shutil.copyfile(wal, path + "-wal")
            uri = f"file:{path}?mode=ro"
        else:
            uri = f"file:{path}?mode=ro&immutable=1"
        connection = sqlite3.connect(uri, uri=True)
        try:
            connection.execute("PRAGMA trusted_schema = OFF")
            connection.execute("PRAGMA query_only = ON")
            yield connection
        except sqlite3.DatabaseError as exc:
            raise FileFormatError(f"the SQLite database cannot be read: {exc}") from None
        except UnicodeDecodeError as exc:
            raise FileFormatError(
                f"the SQLite database holds text that is not valid UTF-8 (byte {exc.start})"
            ) from None
        finally:
            connection.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def columns(connection: sqlite3.Connection, table: str) -> set[str]:
    """The column names of a table (empty when there is no such table)."""
    return {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}


def by_owner(connection: sqlite3.Connection, sql: str) -> Iterator[tuple[Any, list[tuple[Any, ...]]]]:
    """The rows of a query ordered by its first column (the chat or session they belong to), owner by owner,
    without it. One pass: a query per owner reads a table that has no index on that column once for every owner
    (2,000 Ollama chats of 30 messages: 18.9 s, against 0.19 s so)."""
    for owner, rows in groupby(connection.execute(sql), key=itemgetter(0)):
        yield owner, [row[1:] for row in rows]
