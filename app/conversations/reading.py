"""Reading one input file into conversations ready to store: detect the format, parse, hash, find pairs.

Light to import and free of database code: an import's worker processes (app.conversations.parallel) run
this next to the process that writes, and a small import runs it in that process.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

import orjson

from app.conversations.files import InputFile, inner_name
from app.conversations.importers import BOM, HEAD_BYTES, detect_format, get_importer, no_format_reason
from app.conversations.importers._records import Chain
from app.conversations.importers.base import (
    FileFormatError,
    ParsedConversation,
    ParseResult,
    RecordError,
    Skipped,
)
from app.conversations.parquet import is_parquet, parquet_records
from app.errors import PairwiseError, public_message
from app.pairs.findings import find_pairs

log = logging.getLogger(__name__)


@dataclass(slots=True)
class FileRead:
    """What reading a file found besides its records: its format and, once read to the end, its SHA-256."""

    format: str | None = None
    sha256: str | None = None


def content_hash(conversation: ParsedConversation) -> str:
    """SHA-256 over the normalized turns, so key order and source formatting do not matter."""
    return hashlib.sha256(_normalized(conversation)).hexdigest()


def _normalized(conversation: ParsedConversation) -> bytes:
    """The system prompt and turns (role, text, blocks), whitespace-trimmed, as JSON with sorted keys."""
    normalized = [
        (conversation.system_prompt or "").strip(),
        [(t.role, t.text.strip(), t.blocks or []) for t in conversation.turns],
    ]
    return orjson.dumps(normalized, option=orjson.OPT_SORT_KEYS)


# How orjson writes a NUL character (or six characters that read the same: then the writer looks closer).
_NUL = b"\\u0000"
NOT_A_CHAT_PAGE = (
    "HTML page that is not a chat export read here (ChatGPT's chat.html, ChatGPT Exporter pages)"
)


def prepare(conversation: ParsedConversation, *, pairs: bool = True) -> ParsedConversation:
    """Fill in what storing needs besides the parse: the content hash, whether the conversation is free of
    NUL characters (from the same JSON as the hash: `strip` keeps a NUL), its size in bytes (of that JSON),
    and with `pairs` the pairs found. Without them the writer finds the pairs of the conversations it
    stores, not of the duplicates it skips (an import read in process does so)."""
    normalized = _normalized(conversation)
    conversation.content_hash = hashlib.sha256(normalized).hexdigest()
    conversation.size = len(normalized)
    if pairs:
        conversation.found_pairs = find_pairs(conversation)
    conversation.nul_free = (
        _NUL not in normalized
        and "\x00" not in conversation.external_id
        and "\x00" not in (conversation.title or "")
        and (not conversation.metadata or _NUL not in orjson.dumps(conversation.metadata))
    )
    return conversation


def prepared(results: Iterable[ParseResult], *, pairs: bool = True) -> Iterator[ParseResult]:
    """The results with every conversation prepared (`prepare`), as an import worker hands them over."""
    for result in results:
        yield prepare(result, pairs=pairs) if isinstance(result, ParsedConversation) else result


# A JSON export fenced in Markdown: a few lines of notes, one ```json block, nothing after it.
_FENCE_WITHIN = 2048
_FENCE_OPENS = re.compile(rb"^```json[ \t]*\r?$", re.MULTILINE)
_FENCED_JSON = re.compile(rb"\A(?:[^\n]*\n){0,12}?```json[ \t]*\r?\n(.*?)\r?\n```[ \t]*\s*\Z", re.DOTALL)
_MAX_FENCED_BYTES = 64 * 1024 * 1024


def _string_json(data: bytes) -> io.BytesIO | None:
    """The JSON a file's one JSON string holds (an object or an array), or None."""
    if len(data) > _MAX_FENCED_BYTES:
        return None
    try:
        text = orjson.loads(data.removeprefix(BOM))
    except orjson.JSONDecodeError:
        return None
    if type(text) is not str or text.lstrip()[:1] not in ("{", "["):
        return None
    return io.BytesIO(text.encode())


def _fenced_json(data: bytes) -> io.BytesIO | None:
    """The JSON of a Markdown file that is only notes and one fenced JSON block, or None (the rest of the file
    read already: its hash is complete)."""
    if len(data) > _MAX_FENCED_BYTES:
        return None
    match = _FENCED_JSON.match(data)
    if match is None or match.group(1).lstrip()[:1] not in (b"{", b"["):
        return None
    return io.BytesIO(match.group(1))


# Comment lines above JSON Lines (`# NOTE ...`, `// exported by ...`; a real bot's log opened with one).
_COMMENT_LINES = re.compile(rb"\A(?:[ \t]*(?:#|//)[^\n]*\n|[ \t]*\r?\n){1,20}")


def _under_comments(stream: IO[bytes], head: bytes) -> tuple[IO[bytes], bytes] | None:
    """JSON Lines under comment lines: the stream with those lines blank (the records keep their line numbers),
    and its head without them (what the formats are detected from); None when the file is not that."""
    text = head.removeprefix(BOM)
    comments = _COMMENT_LINES.match(text)
    if comments is None or not comments.group().strip() or not text[comments.end() :].startswith(b"{"):
        return None
    stream.read(len(head) - len(text) + comments.end())
    blank = b"\n" * comments.group().count(b"\n")
    return io.BufferedReader(Chain(io.BytesIO(blank), stream)), text[comments.end() :]


def read_file(
    item: InputFile, *, format: str, read: FileRead, progress: Callable[[int], None] | None = None
) -> Iterator[ParseResult]:
    """Detect the format, parse, and hash one file; problems come out as RecordErrors, never raised.

    `read` gets the format once detected and the SHA-256 once the whole file was read.
    """
    try:
        hashed = item.open()
    except OSError as exc:
        yield RecordError(reason=f"cannot open: {exc.strerror or exc}")
        return
    reported = 0
    try:
        name = inner_name(item.name)
        stream: IO[bytes] = hashed.stream
        head = hashed.head()
        if is_parquet(head):
            # Parquet needs to seek: the file is hashed first, then read again as its rows' JSON Lines.
            read.sha256 = hashed.drain()
            rows = parquet_records(item)
            stream, head = rows, rows.peek(HEAD_BYTES)[:HEAD_BYTES]
        fmt = format if format != "auto" else detect_format(head, name)
        if fmt is None and _FENCE_OPENS.search(head[:_FENCE_WITHIN]) is not None:
            # A Markdown note around one JSON export ("# Title", "**Source ID:** ...", then ```json ... ```):
            # the JSON is read as its own format.
            wrapped = _fenced_json(stream.read(_MAX_FENCED_BYTES + 1))
            if wrapped is not None:
                stream, head = wrapped, wrapped.getvalue()[:HEAD_BYTES]
                fmt = detect_format(head, name)
        if fmt is None and head.removeprefix(BOM).lstrip()[:1] == b'"':
            # JSON written twice (`json.dump(json.dumps(store))`, a real LlamaIndex chat store): a JSON string
            # holding the export; the string's JSON is read as its own format.
            inner = _string_json(stream.read(_MAX_FENCED_BYTES + 1))
            if inner is not None:
                stream, head = inner, inner.getvalue()[:HEAD_BYTES]
                fmt = detect_format(head, name)
        if fmt is None and (uncommented := _under_comments(stream, head)) is not None:
            stream, head = uncommented
            fmt = detect_format(head, name)
        if fmt is None and name.lower().endswith((".html", ".htm")):
            # Folders of exports hold other pages (a viewer, an index): known not to be a format read here.
            yield Skipped(NOT_A_CHAT_PAGE)
            read.sha256 = hashed.drain()
            return
        if fmt is None:
            raise FileFormatError(no_format_reason(head, name))
        read.format = fmt
        for result in get_importer(fmt).parse(stream, name):
            yield result
            if progress is not None and hashed.bytes_read - reported > 1 << 20:
                progress(hashed.bytes_read - reported)
                reported = hashed.bytes_read
        read.sha256 = read.sha256 or hashed.drain()
    except (FileFormatError, PairwiseError, UnicodeDecodeError) as exc:
        yield RecordError(reason=str(exc))
    except (ValueError, RecursionError, MemoryError, OSError) as exc:
        log.exception("import of %s failed", item.name)
        yield RecordError(reason=f"could not be read: {public_message(exc)}"[:500])
    finally:
        hashed.close()
        if progress is not None:
            progress(max(item.size - reported, 0))
