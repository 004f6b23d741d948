"""S14 under a burst: simultaneous wrong passwords against a real `pairwise serve` (SQLite and PostgreSQL).

The throttle counts an attempt atomically before the password is checked, so however many guesses arrive at
once, at most `login_max_attempts` are evaluated and a right guess after the burst is refused (429).
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine

from app.auth.models import WebSession
from tests.web_helpers import (
    PASSWORD,
    Server,
    count,
    fast_hashing,
    make_user,
    prepare_database,
    settings_env,
    start_server,
)

BACKENDS = ["sqlite", "postgres"] if os.environ.get("PAIRWISE_TEST_POSTGRES_URL") else ["sqlite"]
LIMIT = 5  # Settings.login_max_attempts default
BURST = 29
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Live:
    server: Server
    engine: Engine


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Live]:
    url = fresh_database_url(request.param)
    data_dir = tmp_path_factory.mktemp(f"throttle-{request.param}")
    with settings_env(data_dir), fast_hashing():
        engine = prepare_database(url)
        make_user(engine, "alice")
    server = start_server(url, data_dir)
    try:
        yield Live(server=server, engine=engine)
    finally:
        server.stop()
        engine.dispose()


def _signed_form(client: httpx.Client, base: str) -> str:
    page = client.get(f"{base}/login")
    match = CSRF_RE.search(page.text)
    assert match, page.text[:300]
    return match.group(1)


def _attempt(base: str, password: str, barrier: threading.Barrier | None) -> int:
    with httpx.Client(timeout=60) as client:
        token = _signed_form(client, base)
        if barrier is not None:
            barrier.wait()
        response = client.post(
            f"{base}/login", data={"username": "alice", "password": password, "csrf_token": token}
        )
        return response.status_code


def test_a_burst_of_wrong_passwords_is_evaluated_at_most_limit_times(live: Live) -> None:
    barrier = threading.Barrier(BURST)
    statuses: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        status = _attempt(live.server.url, "wrong password!!", barrier)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run) for _ in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen = Counter(statuses)
    assert set(seen) <= {401, 429}, seen
    assert seen[401] <= LIMIT, seen
    assert seen[429] >= BURST - LIMIT, seen
    # The 30th guess is right, but the burst used up the window: refused, and no session exists.
    assert _attempt(live.server.url, PASSWORD, None) == 429
    assert count(live.engine, WebSession) == 0
    log = live.server.log()
    assert "Traceback" not in log
    assert "database is locked" not in log
