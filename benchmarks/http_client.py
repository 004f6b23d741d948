"""A minimal keep-alive HTTP/1.1 client on asyncio streams, for load benchmarks that share the server's cores.

Hundreds of simulated users as threads with httpx cost the machine more CPU than the server they measure
(thread switching, the GIL, httpx's per-request machinery). Here every user is a coroutine on one event
loop with its own keep-alive connection and cookie jar, and a response is read by Content-Length only.
It speaks just what the Pairwise pages answer: no chunked bodies, no redirects, no TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Client:
    """One user: one connection (reopened when the server closes it) and the cookies it was given."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        form: dict[str, str | list[str]] | None = None,
    ) -> Response:
        body = urlencode(form, doseq=True).encode() if form is not None else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines.extend(f"{k}: {v}" for k, v in (headers or {}).items())
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):
            if self._writer is None or self._reader is None or self._reader.at_eof():
                await self.close()
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            self._writer.write(message)
            try:
                await self._writer.drain()
                status_line = await self._reader.readline()
            except ConnectionError:
                status_line = b""
            if status_line:
                break
            # The server closed an idle keep-alive connection before reading this request: nothing of it
            # was handled, so sending it again on a new connection is safe.
            await self.close()
            if attempt == 2:
                raise ConnectionError(f"{method} {path}: the server closed the connection")
        assert self._reader is not None
        response_headers: dict[str, str] = {}
        while (line := await self._reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie, _, _ = value.partition(";")
                key, _, val = cookie.partition("=")
                self.cookies[key.strip()] = val.strip()
            else:
                response_headers[name] = value
        length = int(response_headers.get("content-length", "0"))
        data = await self._reader.readexactly(length) if length else b""
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(int(status_line.split()[1]), response_headers, data)
