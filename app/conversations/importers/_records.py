"""Records of the JSON formats (JSON Lines, a JSON array, one JSON object), decoded for a per-format converter."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import IO, Any, overload

from ._json import BOM, BadRecord, decode, has_top_key, iter_array, iter_lines, read_past, too_large, unclosed
from .base import (
    MAX_RECORD_BYTES,
    FileFormatError,
    ParsedConversation,
    ParseResult,
    RecordError,
    Skipped,
    SkipRecord,
)

_WHITESPACE = b" \t\r\n"
_SNIFF_RECORDS = 3


@dataclass(slots=True)
class Record:
    value: Any
    line: int | None = None
    json_path: str | None = None


class _Raw(io.RawIOBase):
    """Lets io.BufferedReader (and so peek) wrap any binary stream."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def peekable(stream: IO[bytes] | io.RawIOBase) -> io.BufferedReader:
    """The stream itself if it can peek (a BufferedReader), else a BufferedReader over it whose buffer holds a
    whole head: readers decide on `peek(65536)`, which a default 8 KB buffer would cut short."""
    if isinstance(stream, io.BufferedReader):
        return stream
    raw = stream if isinstance(stream, io.RawIOBase) else _Raw(stream)
    return io.BufferedReader(raw, buffer_size=65536)


def first_byte(head: bytes) -> int | None:
    """The first significant byte of a file (after a BOM and whitespace), or None if there is none."""
    stripped = head.removeprefix(BOM).lstrip(_WHITESPACE)
    return stripped[0] if stripped else None


def iter_records(stream: IO[bytes]) -> Iterator[Record | RecordError]:
    """Decode each record of a JSON Lines file, a JSON array or a single JSON object written over many
    lines, chosen by the file's first byte and first line."""
    buffered = peekable(stream)
    first = first_byte(buffered.peek(65536))
    if first is not None and first not in b"[{":
        raise FileFormatError(f"not JSON: the file starts with {bytes([first])!r}, not '{{' or '['")
    if first == ord("["):
        for item in iter_array(buffered):
            if isinstance(item, RecordError):
                yield item
                continue
            index, data = item
            path = f"$[{index}]"
            try:
                yield Record(decode(data), json_path=path)
            except BadRecord as exc:
                yield RecordError(str(exc), json_path=path)
        return
    lines = iter_lines(buffered)
    opening = next(lines, None)
    if opening is None:
        return  # nothing but blank lines
    if isinstance(opening, RecordError) or not unclosed(opening[1]):
        lines = chain([opening], lines)
    else:
        document = _document(opening[1], buffered)
        if not isinstance(document, bytes):
            yield document
            return
        # Not one document after all (a broken first record): read the same bytes as JSON Lines.
        lines = iter_lines(io.BufferedReader(Chain(io.BytesIO(document), buffered)))
    for entry in lines:
        if isinstance(entry, RecordError):
            yield entry
            continue
        number, line = entry
        try:
            yield Record(decode(line), line=number)
        except BadRecord as exc:
            yield RecordError(str(exc), line=number)


def _document(first: bytes, stream: IO[bytes]) -> Record | RecordError | bytes:
    """A file whose first line opens an object it does not close, read whole as one record at `$`.

    A first line that is a lone `{` is a pretty-printed object for sure, so its problems are reported as
    such; for any other unclosed first line, a file that does not decode as one object comes back as its
    bytes, to be read as JSON Lines whose first record is broken. Either way never over MAX_RECORD_BYTES.
    """
    data = first + stream.read(MAX_RECORD_BYTES + 1 - len(first))
    pretty = first.strip() == b"{"
    if len(data) > MAX_RECORD_BYTES:
        if pretty:
            return RecordError(too_large("the JSON object", read_past(stream, len(data))), json_path="$")
        return data
    try:
        return Record(decode(data), json_path="$")
    except BadRecord as exc:
        return RecordError(str(exc), json_path="$") if pretty else data


class Chain(io.RawIOBase):
    """Bytes already read, then the rest of the stream they came from."""

    def __init__(self, *streams: IO[bytes]) -> None:
        self._streams = list(streams)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while self._streams:
            data = self._streams[0].read(len(buffer))
            if data:
                buffer[: len(data)] = data
                return len(data)
            self._streams.pop(0)
        return 0


Converter = Callable[[Any, str], ParsedConversation]


def parse_records(
    stream: IO[bytes],
    filename: str,
    convert: Converter,
    shape: tuple[str, Callable[[dict[str, Any]], bool]] | None = None,
    records: Iterable[Record | RecordError] | None = None,
) -> Iterator[ParseResult]:
    """Run `convert(value, fallback_id)` on every record; a BadRecord it raises becomes a RecordError.

    With `shape` (a format's name and its record test), a file that is one JSON object (`$`) of another
    shape gets an error saying it is not a conversation of that format, not just the first field missing.
    `records`, when given, are read instead of the stream's JSON records (a CSV file's rows).
    """
    for record in iter_records(stream) if records is None else records:
        if isinstance(record, RecordError):
            yield record
            continue
        where = record.json_path if record.line is None else record.line
        try:
            if type(record.value) is not dict:
                raise BadRecord(f"expected a JSON object, got {type_name(record.value)}")
            conversation = convert(record.value, f"{filename}:{where}")
        except BadRecord as exc:
            reason = str(exc)
            if shape is not None and record.json_path == "$" and not shape[1](record.value):
                reason = f"the file's JSON object is not a {shape[0]} conversation: {reason}"
            yield RecordError(reason, line=record.line, json_path=record.json_path)
            continue
        except SkipRecord as exc:
            yield Skipped(str(exc))
            continue
        conversation.line = record.line
        conversation.json_path = record.json_path
        yield conversation


@dataclass(frozen=True, slots=True)
class RecordImporter:
    """A format of JSON records. Sniffed by its first record (`looks`) or, when even that record is longer than
    the head, by byte signs (`hint`) in a head that starts as one of `starts` allows; parsed by `convert`."""

    name: str
    convert: Converter
    looks: Callable[[dict[str, Any]], bool]
    hint: Callable[[bytes], bool]
    starts: bytes = b"{["

    @classmethod
    def by_key(
        cls, name: str, convert: Converter, *, key: str, kind: type, sign: bytes, starts: bytes = b"{["
    ) -> RecordImporter:
        """A format whose records hold `key` as a JSON `kind`; in a head too short for one record, `key` and
        `sign` (a key of its messages) both appear, and a head that starts with an object has `key` among
        that object's own keys."""
        needle = f'"{key}"'.encode()

        def hint(head: bytes) -> bool:
            if needle not in head or sign not in head:
                return False
            return first_byte(head) != ord("{") or has_top_key(head, needle)

        return cls(
            name=name,
            convert=convert,
            looks=lambda record: type(record.get(key)) is kind,
            hint=hint,
            starts=starts,
        )

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        if records:
            return self.looks(records[0])
        first = first_byte(head)
        if first == ord("[") and not _opens_array_of_objects(head):
            # "[2023-11-04 22:49:50] [INFO] ... with body: {"messages": ...}": a log line, not an array of records.
            return False
        return first is not None and first in self.starts and self.hint(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return parse_records(stream, filename, self.convert, (self.name, self.looks))


_ARRAY_OF_OBJECTS = re.compile(rb"\s*\[\s*[{\]]")


def _opens_array_of_objects(head: bytes) -> bool:
    """Whether the head opens a JSON array whose first item is an object (or an empty array)."""
    return _ARRAY_OF_OBJECTS.match(head.removeprefix(BOM)) is not None


def _decoded(items: Iterable[bytes]) -> Iterator[Any]:
    """The values of the items that decode (a sniffer skips the others)."""
    for item in items:
        try:
            yield decode(item)
        except BadRecord:
            continue


def _whole_object(head: bytes) -> dict[str, Any] | None:
    """The object a head holds whole when its first line does not close it (a pretty-printed object)."""
    stripped = head.removeprefix(BOM).lstrip(_WHITESPACE)
    if not unclosed(stripped.split(b"\n", 1)[0]):
        return None
    try:
        value = decode(stripped)
    except BadRecord:
        return None
    return value if type(value) is dict else None


def as_object(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one (for optional nested fields)."""
    return value if type(value) is dict else {}


def key_of(value: Any, keys: tuple[str, ...]) -> str | int | None:
    """The first of `keys` an object holds as a string or an integer (the chat a saved message belongs to), or
    None."""
    if type(value) is not dict:
        return None
    for key in keys:
        found = value.get(key)
        if type(found) is str or type(found) is int:
            return found
    return None


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "an object",
}


def expect(value: Any, kind: type, field: str) -> Any:
    """Return `value` if it has the JSON type `kind`, else raise a BadRecord naming the field."""
    if type(value) is not kind:
        raise BadRecord(f"{field}: expected {_TYPE_NAMES[kind]}, got {type_name(value)}")
    return value


def external_id(record: dict[str, Any], fallback: str) -> str:
    for key in ("id", "conversation_id"):
        value = record.get(key)
        if (type(value) is str and value) or type(value) is int:
            return str(value)
    return fallback


def object_lines(
    stream: IO[bytes], *, noun: str = "a JSON object"
) -> Iterator[tuple[int, dict[str, Any]] | RecordError]:
    """(line number, object) for each line of a JSON Lines file whose records must be objects; a line that does
    not decode, or decodes to something else (`noun` says what was expected), is a RecordError naming it."""
    for entry in iter_lines(stream):
        if isinstance(entry, RecordError):
            yield entry
            continue
        number, line = entry
        try:
            value = decode(line)
        except BadRecord as exc:
            yield RecordError(str(exc), line=number)
            continue
        if type(value) is dict:
            yield number, value
        else:
            yield RecordError(f"expected {noun}, got {type_name(value)}", line=number)


def sniff_head(
    head: bytes, *, opener: bytes, looks: Callable[[dict[str, Any]], bool], hint: Callable[[bytes], bool]
) -> bool:
    """A sniffer's usual test: the file opens with one of the bytes of `opener` (b"{", b"[" or b"{["), and its
    first record, decoded, `looks` like the format's; when even that record is longer than the head, the head's
    bytes give a `hint`."""
    first = first_byte(head)
    if first is None or first not in opener:
        return False
    records = head_records(head)
    return looks(records[0]) if records else hint(head)


class HeadRecords(Sequence[dict[str, Any]]):
    """The first few complete records of a file head, for sniffing; JSON Lines are decoded as the sniffers
    ask for them.

    Most sniffers look at the first record only, and the first sniffer asked usually decides (a folder of
    Claude Code sessions): decoding three records for each file's sniff cost a fifth of reading a W1 session.
    Lines that do not decode to an object are passed over. A lock keeps the decoding in order when two
    threads sniff the same head (the cache below hands both the same object).
    """

    __slots__ = ("_lock", "_pending", "_records")

    def __init__(self, records: list[dict[str, Any]], pending: list[bytes] | None = None) -> None:
        self._records = records[:_SNIFF_RECORDS]
        self._pending = (pending or [])[::-1]  # lines still to decode, the next one last
        self._lock = threading.Lock()

    def _fill(self, count: int) -> int:
        """Decode lines until `count` records are held (or the head has no more); how many are held."""
        records = self._records
        if len(records) >= count or not self._pending:
            return len(records)
        with self._lock:
            while len(records) < min(count, _SNIFF_RECORDS) and self._pending:
                try:
                    value = decode(self._pending.pop())
                except BadRecord:
                    continue
                if type(value) is dict:
                    records.append(value)
            return len(records)

    def __len__(self) -> int:
        return self._fill(_SNIFF_RECORDS)

    def __bool__(self) -> bool:
        return self._fill(1) > 0

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        self._fill(index + 1 if isinstance(index, int) and index >= 0 else _SNIFF_RECORDS)
        return self._records[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        position = 0
        while self._fill(position + 1) > position:
            yield self._records[position]
            position += 1


@lru_cache(maxsize=4)
def head_records(head: bytes) -> HeadRecords:
    """The first few complete records of a file head, for sniffing (cached: every sniffer asks).

    A record cut by the end of the head is left out; sniffers fall back to byte checks when even the
    first record is longer than the head.
    """
    first = first_byte(head)
    if first == ord("{"):
        # The last piece holds the rest of the head; it decodes only if it is a single whole record.
        pieces = head.removeprefix(BOM).split(b"\n", _SNIFF_RECORDS)
        lines = [line for line in pieces if line and not line.isspace()]
        # A first line that is a whole record is JSON Lines (or one record on one line); only a first line
        # that does not decode can open an object written over many lines.
        opening = list(_decoded(lines[:1]))
        if not opening:
            whole = _whole_object(head)
            if whole is not None:
                return HeadRecords([whole])
        return HeadRecords([value for value in opening if type(value) is dict], lines[1:])
    if first != ord("["):
        return HeadRecords([])
    records: list[dict[str, Any]] = []
    values = _decoded(item[1] for item in iter_array(io.BytesIO(head)) if not isinstance(item, RecordError))
    try:
        for value in values:
            if type(value) is dict:
                records.append(value)
            if len(records) == _SNIFF_RECORDS:
                break
    except FileFormatError:
        pass
    return HeadRecords(records)


_AFTER_ARRAY = "unexpected content after the end of the JSON array"


def stream_items(
    buffered: io.BufferedReader, opening: re.Pattern[bytes], path: str
) -> Iterator[tuple[str, Any] | RecordError] | None:
    """The items of a JSON array that sits inside the file's top-level object, streamed one at a time from a
    stream that can peek (`peekable`, which the caller keeps for a whole read):
    (JSON path, decoded value) or a RecordError naming the item. `opening` matches the file's bytes up to the
    array's `[`; None when it does not match (the caller then reads the file whole). An empty array yields
    nothing; what follows the array (the object's other keys) is not read."""
    head = buffered.peek(65536)
    match = opening.match(head, len(BOM) if head.startswith(BOM) else 0)
    if match is None:
        return None
    buffered.read(match.end())
    return array_items(buffered, path)


def array_items(stream: io.BufferedReader, path: str) -> Iterator[tuple[str, Any] | RecordError]:
    """The items of the JSON array the stream starts with (`[`), each decoded with its JSON path (`path[i]`), or
    a RecordError naming it; what follows the array is not read."""
    try:
        for item in iter_array(stream):
            if isinstance(item, RecordError):
                if item.json_path is None and item.reason == _AFTER_ARRAY:
                    continue  # the object's other keys, after the array
                if item.json_path is not None:
                    item.json_path = path + item.json_path[1:]
                yield item
                continue
            index, data = item
            where = f"{path}[{index}]"
            try:
                yield where, decode(data)
            except BadRecord as exc:
                yield RecordError(str(exc), json_path=where)
    except FileFormatError as exc:
        if str(exc) != "the JSON array is empty":
            raise


def stream_results(
    items: Iterator[tuple[str, Any] | RecordError], convert: Callable[[Any, str], ParseResult], empty: str
) -> Iterator[ParseResult]:
    """What `stream_items` found, each item converted (`convert(value, json path)`), its errors as they are; an
    empty array is one Skipped with the reason `empty`."""
    seen = False
    for item in items:
        seen = True
        yield item if isinstance(item, RecordError) else convert(item[1], item[0])
    if not seen:
        yield Skipped(empty)


def items_under(
    stream: IO[bytes], filename: str, key: str, convert: Converter, *, empty: str, noun: str
) -> Iterator[ParseResult]:
    """Each item of the list the file's object holds under `key` (a file read whole), converted with its JSON
    path (`$.key[i]`); a value that is not a list is an error naming `key` and `noun` (what it should list), an
    empty list one Skipped with the reason `empty`."""
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
            continue
        found = record.value.get(key) if type(record.value) is dict else None
        if type(found) is not list:
            yield RecordError(f"{key}: expected the list of {noun}, got {type_name(found)}")
            continue
        if not found:
            yield Skipped(empty)
        for i, item in enumerate(found):
            where = f"$.{key}[{i}]"
            yield converted(convert, item, where, f"{filename}:{where}")


def one_object(stream: IO[bytes], filename: str, convert: Converter, *, noun: str) -> Iterator[ParseResult]:
    """The conversation of a file that is one JSON object (a saved chat, a run's trajectory): `convert(value,
    file name)` at `$`; a value that is not an object is an error naming `noun`, what it should be."""
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
        elif type(record.value) is not dict:
            yield RecordError(
                f"expected {noun}, got {type_name(record.value)}", json_path=record.json_path or "$"
            )
        else:
            yield converted(convert, record.value, record.json_path or "$", filename)


def converted(convert: Converter, value: Any, where: str, fallback: str) -> ParseResult:
    """`convert(value, fallback id)` for one item found at JSON path `where`: its conversation (placed at
    `where`), or the BadRecord it raises as a RecordError there, or the SkipRecord as a Skipped."""
    try:
        conversation = convert(value, fallback)
    except BadRecord as exc:
        return RecordError(str(exc), json_path=where)
    except SkipRecord as exc:
        return Skipped(str(exc))
    conversation.json_path = where
    return conversation


def read_text(stream: IO[bytes]) -> str:
    """A whole text file (up to the record limit) as UTF-8, or FileFormatError saying why not."""
    data = stream.read(MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        size = len(data)
        while chunk := stream.read(1 << 20):
            size += len(chunk)
        raise FileFormatError(too_large("file", size))
    bom = 3 if data.startswith(BOM) else 0
    try:
        text = data[bom:].decode()
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"not valid UTF-8 at byte {exc.start + bom}") from None
    if not text.strip():
        raise FileFormatError("file is empty")
    return text
