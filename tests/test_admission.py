"""Admission: a web process works on a few requests at once; the others wait in front, holding nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from app.admission import AdmissionMiddleware
from app.config import get_settings
from app.main import create_app


class Recorder:
    """An ASGI app whose requests each wait for their own go-ahead, recording when they enter and leave."""

    def __init__(self) -> None:
        self.inside: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = scope["path"]
        self.inside.append(name)
        await self.gates.setdefault(name, asyncio.Event()).wait()
        if scope.get("fail"):
            raise RuntimeError("the route failed")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if scope.get("stream"):
            await self.gates.setdefault(name + " body", asyncio.Event()).wait()
        await send({"type": "http.response.body", "body": b"ok"})

    def go(self, name: str) -> None:
        self.gates.setdefault(name, asyncio.Event()).set()


def request(app: AdmissionMiddleware, path: str, method: str = "GET", **extra: Any) -> asyncio.Task[None]:
    scope = {"type": "http", "method": method, "path": path, **extra}
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    return asyncio.create_task(app(scope, receive, send))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
class TestAdmission:
    async def test_requests_beyond_the_slots_wait_until_one_responds(self) -> None:
        inner = Recorder()
        app = AdmissionMiddleware(inner, slots=2)
        tasks = [request(app, f"/r{i}") for i in range(4)]
        await settle()
        assert inner.inside == ["/r0", "/r1"]
        inner.go("/r1")
        await settle()
        assert inner.inside == ["/r0", "/r1", "/r2"]  # in arrival order
        for name in ("/r0", "/r2", "/r3"):
            inner.go(name)
        await asyncio.gather(*tasks)
        assert inner.inside == ["/r0", "/r1", "/r2", "/r3"]

    async def test_the_slot_is_free_once_the_response_starts(self) -> None:
        inner = Recorder()
        app = AdmissionMiddleware(inner, slots=1)
        streaming = request(app, "/download", stream=True)
        waiting = request(app, "/page")
        inner.go("/download")
        await settle()
        assert inner.inside == ["/download", "/page"]  # the download still sends its body
        inner.go("/page")
        inner.go("/download body")
        await asyncio.gather(streaming, waiting)

    async def test_a_failing_request_gives_its_slot_back(self) -> None:
        inner = Recorder()
        app = AdmissionMiddleware(inner, slots=1)
        failing = request(app, "/broken", fail=True)
        waiting = request(app, "/page")
        inner.go("/broken")
        with pytest.raises(RuntimeError, match="the route failed"):
            await failing
        await settle()
        assert inner.inside == ["/broken", "/page"]
        inner.go("/page")
        await waiting

    @pytest.mark.parametrize(("method", "path"), [("GET", "/static/app.css"), ("POST", "/admin/imports")])
    async def test_static_files_and_uploads_are_not_counted(self, method: str, path: str) -> None:
        inner = Recorder()
        app = AdmissionMiddleware(inner, slots=1)
        busy = request(app, "/page")
        exempt = request(app, path, method)
        await settle()
        assert inner.inside == ["/page", path]
        inner.go("/page")
        inner.go(path)
        await asyncio.gather(busy, exempt)


def test_the_app_admits_as_many_as_the_settings_say(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIRWISE_MAX_ACTIVE_REQUESTS", "3")
    get_settings.cache_clear()
    (admission,) = [m for m in create_app().user_middleware if m.cls is AdmissionMiddleware]
    assert admission.kwargs == {"slots": 3}
