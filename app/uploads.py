"""Uploads streamed to disk: a size limit enforced before and while reading, safe file names (S12, S13)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path, PurePosixPath
from typing import IO, Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message

from app.config import get_settings
from app.errors import PairwiseError, ValidationFailedError

MAX_FILES = 1000
MAX_FIELD_BYTES = 4096
_UNSAFE_CHARS = re.compile(r"[^\w.\- ]+")
_MAX_NAME = 120


class UploadTooLargeError(PairwiseError):
    status_code = 413


def upload_limit() -> int:
    return get_settings().max_upload_mb * 1024 * 1024


def _too_large(limit: int) -> UploadTooLargeError:
    return UploadTooLargeError(
        f"The upload is larger than {limit // (1024 * 1024)} MB (PAIRWISE_MAX_UPLOAD_MB). "
        "Split it into smaller uploads or import it with `pairwise import` on the server."
    )


def _counting(receive: Callable[[], Awaitable[Message]], limit: int) -> Callable[[], Awaitable[Message]]:
    """Wrap `receive` so a body (chunked or with a lying Content-Length) stops once it passes `limit`."""
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(limit)
        return message

    return receive_limited


class LimitedUploadRoute(APIRoute):
    """A route whose body is refused with 413 over PAIRWISE_MAX_UPLOAD_MB, before any parsing.

    The check runs ahead of the dependencies, so not even the CSRF check's form parsing reads an
    oversize body; the limit is read per request so it follows the settings.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = upload_limit()
            declared = request.headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                raise _too_large(limit)
            return await handler(Request(request.scope, _counting(request.receive, limit)))

        return limited


def safe_filename(raw: str, *, fallback: str) -> str:
    """A plain file name from a client-given one: no directories, `..`, `\\`, NUL or leading dots."""
    name = raw.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_CHARS.sub("_", name).strip(" ._")
    if not name:
        return fallback
    if len(name) > _MAX_NAME:
        suffix = "".join(PurePosixPath(name).suffixes[-2:])[:20]
        name = name[: _MAX_NAME - len(suffix)] + suffix
    return name


class _Folder:
    """The upload folder: unique safe names, text fields, and the count of files written."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: list[str] = []
        self.fields: dict[str, str] = {}

    def create(self, raw_name: str) -> IO[bytes]:
        if len(self.files) >= MAX_FILES:
            raise ValidationFailedError(f"at most {MAX_FILES} files per upload; put more into a .zip")
        name = safe_filename(raw_name, fallback=f"upload-{len(self.files) + 1}")
        if (self.folder / name).exists():
            name = f"{len(self.files) + 1}-{name}"
        self.files.append(name)
        return (self.folder / name).open("xb")

    def field(self, name: str, value: bytes) -> None:
        if len(value) > MAX_FIELD_BYTES:
            raise ValidationFailedError(f"{name}: longer than {MAX_FIELD_BYTES} bytes")
        self.fields[name] = value.decode("utf-8", errors="replace")


class _Parts:
    """python-multipart callbacks: file parts go straight to disk, text parts to a small buffer."""

    def __init__(self, target: _Folder, *, file_field: str, fields: set[str]) -> None:
        self.target = target
        self.file_field = file_field
        self.allowed = fields | {file_field}
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.headers: dict[bytes, bytes] = {}
        self.name = ""
        self.sink: IO[bytes] | None = None
        self.buffer: bytearray | None = None
        self.complete = False

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self.header_name.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self.header_value.extend(d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_end": self.end,
        }

    def part_begin(self) -> None:
        self.headers, self.sink, self.buffer = {}, None, None

    def header_end(self) -> None:
        self.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", errors="replace")
        if self.name not in self.allowed:
            raise ValidationFailedError(f"unexpected field {self.name[:40]!r}")
        if self.name != self.file_field:
            self.buffer = bytearray()
            return
        filename = options.get(b"filename", b"").decode("utf-8", errors="replace")
        if filename:  # an empty file input sends a part without a name: nothing to store
            self.sink = self.target.create(filename)

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.sink is not None:
            self.sink.write(data[start:end])
        elif self.buffer is not None:
            self.buffer.extend(data[start:end])
            if len(self.buffer) > MAX_FIELD_BYTES:
                raise ValidationFailedError(f"{self.name}: longer than {MAX_FIELD_BYTES} bytes")

    def part_end(self) -> None:
        self.close()
        if self.buffer is not None:
            self.target.field(self.name, bytes(self.buffer))
            self.buffer = None

    def end(self) -> None:
        self.complete = True

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()
            self.sink = None


async def stream_to_folder(request: Request, folder: Path, *, file_field: str, fields: set[str]) -> _Folder:
    """Parse a multipart body chunk by chunk, writing each file of `file_field` into `folder`."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise ValidationFailedError("send the files as multipart/form-data")
    target = _Folder(folder)
    parts = _Parts(target, file_field=file_field, fields=fields)
    parser = MultipartParser(boundary, parts.callbacks())
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(parser.write, chunk)
        parser.finalize()
    except FormParserError as exc:
        raise ValidationFailedError(f"the upload is not valid multipart/form-data: {exc}") from exc
    finally:
        parts.close()
    if not parts.complete:
        raise ValidationFailedError("the upload ended before its last part arrived; send it again")
    return target


async def copy_parsed_form(request: Request, folder: Path, *, file_field: str, fields: set[str]) -> _Folder:
    """The same from a form the CSRF check already parsed (a plain form post without JavaScript)."""
    form = await request.form()
    unknown = sorted(set(form.keys()) - fields - {file_field})
    if unknown:
        raise ValidationFailedError(f"unexpected field {unknown[0][:40]!r}")
    target = _Folder(folder)
    for name, value in form.multi_items():
        if name == file_field and isinstance(value, UploadFile) and value.filename:
            with target.create(value.filename) as sink:
                while chunk := await value.read(1024 * 1024):
                    sink.write(chunk)
        elif name != file_field and isinstance(value, str):
            target.field(name, value.encode())
    return target
