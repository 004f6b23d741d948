"""After a failed sign-in the user name is kept and focus is on the password, in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.web_helpers import Server, live_sqlite_server, make_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Engine]]:
    with live_sqlite_server(
        tmp_path_factory.mktemp("browser-sign-in"), lambda e: make_user(e, "focus")
    ) as pair:
        yield pair


def test_failed_sign_in_focuses_the_password(live: tuple[Server, Engine], watched: Any) -> None:
    server, _ = live
    w = watched(server.url)
    w.goto("/login")
    assert w.page.evaluate("document.activeElement.name") == "username"
    w.page.fill("input[name=username]", "focus")
    w.page.fill("input[name=password]", "not the password")
    w.page.press("input[name=password]", "Enter")
    w.page.wait_for_selector("p.error")
    assert w.page.input_value("input[name=username]") == "focus"
    assert w.page.evaluate("document.activeElement.name") == "password"
