"""How many requests a web process works on at once; the rest wait their turn in front.

A request is admitted before the app does anything for it and leaves its slot when its response starts, so
it never waits for a slot while it holds a database lock: a request that waits only ever waits here, with
nothing taken. (Limiting the thread pool instead deadlocks: a sync route's response model is checked in the
pool after the route returned, while its transaction still holds the SQLite write lock or a row lock that
the requests holding every thread wait for.) Static files and uploads, which stream a body for minutes, are
not counted.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.body_limits import UPLOAD_PATHS


def _counted(scope: Scope) -> bool:
    path: str = scope["path"]
    return not path.startswith("/static/") and not (scope["method"] == "POST" and path in UPLOAD_PATHS)


class AdmissionMiddleware:
    """At most `slots` requests inside the app at once, admitted in arrival order."""

    def __init__(self, app: ASGIApp, *, slots: int) -> None:
        self.app = app
        self.slots = slots
        # One semaphore per event loop (tests run several apps, each on its own loop).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._semaphore: asyncio.Semaphore | None = None

    def _slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._loop is not loop:
            self._loop, self._semaphore = loop, asyncio.Semaphore(self.slots)
        return self._semaphore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _counted(scope):
            await self.app(scope, receive, send)
            return
        slots = self._slots()
        await slots.acquire()
        held = True

        def leave() -> None:
            nonlocal held
            if held:
                held = False
                slots.release()

        async def sending(message: Message) -> None:
            # The work is done once the response starts; sending a long body needs no slot.
            if message["type"] == "http.response.start":
                leave()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            leave()
