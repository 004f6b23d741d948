"""R1/R6 against a real `pairwise serve`: concurrent submits and leases on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from app.db import session_scope
from app.models_base import utcnow
from app.review.models import Assignment, Judgment
from tests.conftest import BACKENDS
from tests.web_helpers import (
    Server,
    bearer,
    fast_hashing,
    make_token,
    make_user,
    prepare_database,
    seed_samples,
    settings_env,
    start_server,
)

N = 20


@dataclass
class Live:
    server: Server
    engine: Engine
    tokens: list[str]
    pairs: list[int]


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest,
    fresh_database_url: Callable[[str], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Live]:
    url = fresh_database_url(request.param)
    data_dir = tmp_path_factory.mktemp(f"live-{request.param}")
    with settings_env(data_dir), fast_hashing():
        engine = prepare_database(url)
        pairs = seed_samples(engine)
        tokens = []
        for i in range(N + 1):
            make_user(engine, f"r{i}")
            tokens.append(make_token(engine, f"r{i}"))
    server = start_server(url, data_dir)
    try:
        yield Live(server=server, engine=engine, tokens=tokens, pairs=pairs)
    finally:
        server.stop()
        engine.dispose()


def _together(calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls in threads released at the same moment."""
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        with httpx.Client(timeout=60) as c:
            barrier.wait()
            try:
                results[i] = calls[i](c)
            except BaseException as exc:
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    responses = [r for r in results if isinstance(r, httpx.Response)]
    assert len(responses) == len(calls)
    return responses


class TestConcurrentSubmits:
    def test_twenty_identical_submits_store_one_judgment(self, live: Live) -> None:
        token = live.tokens[0]
        leased = httpx.post(f"{live.server.url}/api/v1/review/next", headers=bearer(token), timeout=30).json()
        pair_id = leased["pair"]["id"]
        url = f"{live.server.url}/api/v1/pairs/{pair_id}/judgments"
        body = {"verdict": "right", "patterns_right": ["tradeoffs"]}
        responses = _together([lambda c: c.post(url, json=body, headers=bearer(token))] * N)
        assert Counter(r.status_code for r in responses) == {201: 1, 409: N - 1}
        with session_scope(live.engine, read_only=True) as session:
            assert (
                session.execute(
                    select(func.count()).select_from(Judgment).where(col(Judgment.pair_id) == pair_id)
                ).scalar_one()
                == 1
            )

    def test_twenty_reviewers_without_a_lease_store_nothing(self, live: Live) -> None:
        """Judging needs the caller's lease (issue 15): guessing a pair id gets 404, whoever is fastest."""
        with session_scope(live.engine, read_only=True) as session:
            judged = set(session.execute(select(col(Judgment.pair_id))).scalars())
        pair_id = next(p for p in reversed(live.pairs) if p not in judged)
        url = f"{live.server.url}/api/v1/pairs/{pair_id}/judgments"
        responses = _together([
            (lambda token: lambda c: c.post(url, json={"verdict": "tie"}, headers=bearer(token)))(t)
            for t in live.tokens[1:]
        ])  # fmt: skip
        assert Counter(r.status_code for r in responses) == {404: N}
        with session_scope(live.engine, read_only=True) as session:
            assert (
                session.execute(
                    select(func.count()).select_from(Judgment).where(col(Judgment.pair_id) == pair_id)
                ).scalar_one()
                == 0
            )


class TestConcurrentLeases:
    def test_twenty_reviewers_never_get_the_same_pair(self, live: Live) -> None:
        with session_scope(live.engine, read_only=True) as session:
            judged = set(session.execute(select(col(Judgment.pair_id))).scalars())
        available = [p for p in live.pairs if p not in judged]
        url = f"{live.server.url}/api/v1/review/next"
        responses = _together([
            (lambda token: lambda c: c.post(url, headers=bearer(token)))(t) for t in live.tokens[1:]
        ])  # fmt: skip
        assert [r.status_code for r in responses] == [200] * N
        served = [r.json()["pair"]["id"] for r in responses if r.json()["pair"] is not None]
        assert len(served) == len(set(served)), Counter(served).most_common(3)
        assert len(served) == min(N, len(available))
        assert set(served) <= set(available)
        with session_scope(live.engine, read_only=True) as session:
            live_leases = session.execute(
                select(col(Assignment.pair_id), func.count()).where(col(Assignment.expires_at) > utcnow())
                .group_by(col(Assignment.pair_id))
            ).all()  # fmt: skip
        assert max(n for _, n in live_leases) == 1


class TestServerLog:
    def test_no_lock_errors_and_no_server_errors(self, live: Live) -> None:
        url = f"{live.server.url}/api/v1/pairs"
        responses = _together(
            [(lambda token: lambda c: c.get(url, headers=bearer(token)))(t) for t in live.tokens]
        )
        assert {r.status_code for r in responses} == {200}
        log = live.server.log()
        assert "database is locked" not in log
        assert "Traceback" not in log
        assert " 500 " not in log
