"""Records of the JSON formats: JSON Lines or a JSON array, decoded and handed to a per-format converter."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from ._json import BOM, BadRecord, decode, iter_array, iter_lines
from .base import FileFormatError, ParsedConversation, ParseResult, RecordError, Skipped, SkipRecord

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


def first_byte(head: bytes) -> int | None:
    """The first significant byte of a file (after a BOM and whitespace), or None if there is none."""
    stripped = head.removeprefix(BOM).lstrip(_WHITESPACE)
    return stripped[0] if stripped else None


def iter_records(stream: IO[bytes]) -> Iterator[Record | RecordError]:
    """Decode each record of a JSON Lines file or a JSON array, chosen by the file's first byte."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(_Raw(stream))
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
    for entry in iter_lines(buffered):
        if isinstance(entry, RecordError):
            yield entry
            continue
        number, line = entry
        try:
            yield Record(decode(line), line=number)
        except BadRecord as exc:
            yield RecordError(str(exc), line=number)


Converter = Callable[[Any, str], ParsedConversation]


def parse_records(stream: IO[bytes], filename: str, convert: Converter) -> Iterator[ParseResult]:
    """Run `convert(value, fallback_id)` on every record; a BadRecord it raises becomes a RecordError."""
    for record in iter_records(stream):
        if isinstance(record, RecordError):
            yield record
            continue
        where = record.json_path if record.line is None else record.line
        try:
            if type(record.value) is not dict:
                raise BadRecord(f"expected a JSON object, got {type_name(record.value)}")
            conversation = convert(record.value, f"{filename}:{where}")
        except BadRecord as exc:
            yield RecordError(str(exc), line=record.line, json_path=record.json_path)
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
        `sign` (a key of its messages) both appear."""
        needle = f'"{key}"'.encode()
        return cls(
            name=name,
            convert=convert,
            looks=lambda record: type(record.get(key)) is kind,
            hint=lambda head: needle in head and sign in head,
            starts=starts,
        )

    def sniff(self, head: bytes, filename: str) -> bool:
        records = head_records(head)
        if records:
            return self.looks(records[0])
        first = first_byte(head)
        return first is not None and first in self.starts and self.hint(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        return parse_records(stream, filename, self.convert)


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


@lru_cache(maxsize=4)
def head_records(head: bytes) -> tuple[dict[str, Any], ...]:
    """The first few complete records of a file head, for sniffing (cached: every sniffer asks).

    A record cut by the end of the head is left out; sniffers fall back to byte checks when even the
    first record is longer than the head.
    """
    first = first_byte(head)
    if first == ord("{"):
        # The last piece holds the rest of the head; it decodes only if it is a single whole record.
        lines = head.removeprefix(BOM).split(b"\n", _SNIFF_RECORDS)
        items = (line for line in lines if line and not line.isspace())
    elif first == ord("["):
        items = (item[1] for item in iter_array(io.BytesIO(head)) if not isinstance(item, RecordError))
    else:
        return ()
    records = []
    try:
        for item in items:
            try:
                value = decode(item)
            except BadRecord:
                continue
            if type(value) is dict:
                records.append(value)
            if len(records) == _SNIFF_RECORDS:
                break
    except FileFormatError:
        pass
    return tuple(records)
