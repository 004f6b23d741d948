"""Byte-level JSON reading shared by the importers: bounded lines, streamed arrays, guarded decoding.

Nothing here reads a file whole: JSON Lines go line by line, JSON arrays are cut into their items by a
small scanner, and every record goes through `decode`, which enforces the depth limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from .base import MAX_JSON_DEPTH, MAX_RECORD_BYTES, FileFormatError, RecordError

BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 20
_MB = 1 << 20
# A whole string (escapes included), a lone quote (a string cut by the end of the buffer), or a bracket.
_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"|["\[\]{}]', re.S)
_ORJSON_POSITION = re.compile(r": line \d+ column \d+ \(char (\d+)\)$")
_OPEN, _QUOTE = b"[{", ord('"')


class BadRecord(Exception):
    """A record that cannot be imported; the message is the reason shown to the user."""


def megabytes(size: int) -> str:
    return f"{size / _MB:.1f}".removesuffix(".0")


def too_large(what: str, size: int) -> str:
    return f"{what} is {megabytes(size)} MB, over the {megabytes(MAX_RECORD_BYTES)} MB limit"


def _too_deep(value: Any) -> bool:
    # Iterative on purpose: a recursive walk is what the limit protects against.
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        for child in node.values() if type(node) is dict else node:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return False


def decode(data: bytes) -> Any:
    """Parse one record; raise BadRecord with a readable reason for bad UTF-8, bad JSON or deep nesting."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadRecord(_decode_reason(data, str(exc))) from None
    # Depth never exceeds the number of opening brackets, so most records skip the walk entirely.
    if (
        (type(value) is dict or type(value) is list)
        and data.count(b"[") + data.count(b"{") > MAX_JSON_DEPTH
        and _too_deep(value)
    ):
        raise BadRecord(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def json_or_text(text: str) -> Any:
    """What a transcript wrote as a tool's arguments: their JSON value, or the text itself when it is not JSON
    (arguments cut short, a shell command written bare)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def _decode_reason(data: bytes, message: str) -> str:
    if message.startswith("depth limit exceeded"):
        return f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    if "UTF-8" in message:
        try:
            data.decode()
        except UnicodeDecodeError as exc:
            return f"not valid UTF-8 at byte {exc.start}"
    # orjson says "<what>: line L column C (char N)"; lines mean nothing inside one record, offsets do.
    where = _ORJSON_POSITION.search(message)
    if where:
        return f"invalid JSON: {message[: where.start()]} at character {where.group(1)}"
    return f"invalid JSON: {message}"


def unclosed(line: bytes) -> bool:
    """Whether a line opens more brackets than it closes: a JSON document written over many lines (a
    pretty-printed object) starts so, a JSON Lines record never does."""
    depth = 0
    for match in _TOKEN.finditer(line):
        byte = line[match.start()]
        if byte == _QUOTE:
            if match.end() - match.start() == 1:
                break  # a string the line does not close: not JSON Lines either way
        elif byte in _OPEN:
            depth += 1
        else:
            depth -= 1
    return depth > 0


def has_top_key(head: bytes, key: bytes) -> bool:
    """Whether `key` (quoted, as written in the file) is a key of the top-level object a head starts with,
    read from the head alone: a cut head still shows the keys written before the cut."""
    depth = 0
    for match in _TOKEN.finditer(head):
        at = match.start()
        byte = head[at]
        if byte == _QUOTE:
            if match.end() - at == 1:
                return False
            if depth == 1 and match.group() == key and head[match.end() :].lstrip()[:1] == b":":
                return True
        elif byte in _OPEN:
            depth += 1
        else:
            depth -= 1
            if depth <= 0:
                return False
    return False


def read_past(stream: IO[bytes], size: int) -> int:
    """Read a stream to its end in chunks, holding none; return `size` plus the bytes read."""
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
    return size


def iter_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes] | RecordError]:
    """Yield (line number, line) for each non-blank line; an overlong line becomes a RecordError."""
    readline = stream.readline
    limit = MAX_RECORD_BYTES + 1
    number = 0
    seen = False
    while line := readline(limit):
        number += 1
        if len(line) == limit and not line.endswith(b"\n"):
            seen = True
            yield RecordError(too_large("line", _skip_line(stream, len(line))), line=number)
            continue
        if number == 1 and line.startswith(BOM):
            line = line[3:]
        if line.isspace() or not line:
            continue
        seen = True
        yield number, line
    if not seen:
        raise FileFormatError("file is empty")


def _skip_line(stream: IO[bytes], size: int) -> int:
    """Read past the rest of an overlong line in chunks; return its full length."""
    while chunk := stream.readline(_CHUNK):
        if chunk.endswith(b"\n"):
            return size + len(chunk) - 1
        size += len(chunk)
    return size


def iter_array(stream: IO[bytes]) -> Iterator[tuple[int, bytes] | RecordError]:
    """Yield (index, bytes) for each item of a top-level JSON array, without holding more than one item.

    The scanner only tracks strings and brackets; each item's bytes are then parsed by orjson. Items over
    MAX_RECORD_BYTES or nested deeper than MAX_JSON_DEPTH are skipped while scanning, never buffered.
    """
    buf = bytearray()
    base = 0  # absolute offset of buf[0]
    pos = 0  # scan position in buf
    depth = 0
    index = 0
    start = 0  # absolute offset where the current item starts
    keep = True  # whether the current item's bytes are still buffered
    deep = False
    while chunk := stream.read(_CHUNK):
        drop = start - base if depth >= 2 and keep else pos
        del buf[:drop]  # cheap: bytearray drops its head without moving the rest
        buf += chunk
        base += drop
        pos -= drop
        if depth >= 2 and keep and base + len(buf) - start > MAX_RECORD_BYTES:
            keep = False
        for match in _TOKEN.finditer(buf, pos):
            at = match.start()
            byte = buf[at]
            if byte == _QUOTE:
                if match.end() - at == 1:
                    break  # a string cut by the buffer end: rescan it with the next chunk
                if depth == 1:
                    yield RecordError("expected a JSON object, got a string", json_path=f"$[{index}]")
                    index += 1
            elif byte in _OPEN:
                depth += 1
                if depth == 2:
                    start, keep, deep = base + at, True, False
                elif depth > MAX_JSON_DEPTH + 1 and not deep:
                    deep, keep = True, False
            else:
                depth -= 1
                if depth == 1:
                    end = base + match.end()
                    if deep:
                        yield RecordError(
                            f"JSON nested deeper than {MAX_JSON_DEPTH} levels", json_path=f"$[{index}]"
                        )
                    elif not keep or end - start > MAX_RECORD_BYTES:
                        yield RecordError(too_large("record", end - start), json_path=f"$[{index}]")
                    else:
                        yield index, bytes(memoryview(buf)[start - base : match.end()])
                    index += 1
                elif depth == 0:
                    if index == 0:
                        raise FileFormatError("the JSON array is empty")
                    if buf[match.end() :].strip() or stream.read(_CHUNK).strip():
                        yield RecordError("unexpected content after the end of the JSON array")
                    return
            pos = match.end()
        else:
            pos = len(buf)
    if depth >= 2:
        reason = (
            f"JSON nested deeper than {MAX_JSON_DEPTH} levels" if deep else "file ends inside this record"
        )
        yield RecordError(reason, json_path=f"$[{index}]")
    elif depth == 1:
        yield RecordError("file ends before the JSON array is closed", json_path=f"$[{index}]")
    elif index == 0:
        raise FileFormatError("file is empty")
