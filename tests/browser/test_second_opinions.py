"""An admin asks the suggestion provider for second opinions; a reviewer sees one on the review screen, in real
Chromium. The provider is the stand-in chat server on loopback (tests/assist/fake_chat.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from app.assist.provider import save_provider
from app.db import session_scope
from tests.assist.fake_chat import KEY, FakeChat, serve_chat
from tests.web_helpers import Server, add_pair, live_sqlite_server, make_user

pytestmark = pytest.mark.browser

REPLY = json.dumps(
    {"verdict": "pair", "confidence": 0.8, "reason": "The user says it fails; the revision fixes it."}
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Engine, FakeChat]]:
    with serve_chat(lambda _messages: REPLY) as fake:

        def seed(engine: Engine) -> None:
            with session_scope(engine) as session:
                add_pair(session, score=0.55)  # in the uncertain band around the 0.5 threshold
                save_provider(session, base_url=fake.base_url, model="stand-in", api_key=KEY, user_id=None)
            make_user(engine, "boss", role="admin")
            make_user(engine, "rev")

        env = {"PAIRWISE_ALLOW_PRIVATE_ENDPOINTS": "true"}
        with live_sqlite_server(tmp_path_factory.mktemp("browser-opinions"), seed, extra_env=env) as (
            server,
            engine,
        ):
            yield server, engine, fake


def test_the_admin_asks_and_the_reviewer_sees_the_opinion(
    live: tuple[Server, Engine, FakeChat], watched: Any
) -> None:
    server, _, fake = live
    admin = watched(server.url)
    admin.sign_in("boss")
    admin.goto("/admin/detection")
    admin.page.click("form[action='/admin/detection/second-opinions'] button")
    admin.page.wait_for_url("**/admin/jobs/*")
    admin.page.wait_for_selector("#job-status[data-status='succeeded']", timeout=30_000)
    assert len(fake.requests) == 1
    admin.goto("/admin/detection")
    assert "1 opinion" in admin.page.inner_text("#second-opinions")

    reviewer = watched(server.url)
    reviewer.sign_in("rev")
    reviewer.goto("/review")
    opinion = reviewer.page.wait_for_selector("[data-second-opinion='pair']")
    assert opinion is not None
    assert "Second opinion (model): likely a pair, 0.80" in opinion.inner_text()
    assert "the revision fixes it" in opinion.inner_text()
    for w in (admin, reviewer):
        assert w.console_errors == []
        assert w.blocked == []
