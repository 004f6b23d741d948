"""A real HTTP server on loopback speaking OpenAI's `/chat/completions`, standing in for the suggestion provider.

Replies come from `reply(messages) -> str`; a wrong key gets 401 with a body that echoes the key (as
providers do), and `fail_next` makes the next request answer with that status.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY = "sk-stand-in-suggestions-0123456789"


class FakeChat:
    def __init__(self, reply: Callable[[list[dict[str, str]]], str], *, api_key: str = KEY) -> None:
        self.reply = reply
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.fail_next: int | None = None
        self.base_url = ""


def _handler(fake: FakeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            auth = self.headers.get("Authorization", "")
            fake.requests.append({"path": self.path, "body": body, "authorization": auth})
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
            elif auth != f"Bearer {fake.api_key}":
                self._send(
                    401, {"error": {"message": f"Incorrect API key provided: {auth.removeprefix('Bearer ')}"}}
                )
            elif fake.fail_next is not None:
                status, fake.fail_next = fake.fail_next, None
                self._send(status, {"error": {"message": "overloaded"}})
            else:
                text = fake.reply(body["messages"])
                self._send(200, {"id": "c1", "object": "chat.completion", "model": body["model"],
                                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                              "finish_reason": "stop"}]})  # fmt: skip

    return Handler


@contextmanager
def serve_chat(reply: Callable[[list[dict[str, str]]], str], *, api_key: str = KEY) -> Iterator[FakeChat]:
    """Run the stand-in on a free loopback port for the duration of the block."""
    fake = FakeChat(reply, api_key=api_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def rewrite_reply(messages: list[dict[str, str]]) -> str:
    """Folded prompts for fold requests, a standalone answer for rewrite requests."""
    if "Rewrite the question" in messages[0]["content"]:
        return "How do I paginate a table with 50M rows?"
    return "Keyset pagination stays fast on large tables."
