"""Browser fixtures: one Chromium per module, pages with a dialog trap, console and request logs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.web_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    fast_passwords,  # noqa: F401
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Watched:
    """A page whose dialogs fail the test and whose console errors and requests are recorded."""

    page: Any
    base_url: str
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("networkidle")
        return response

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.press("input[name=password]", "Enter")
        self.page.wait_for_load_state("networkidle")
        assert "/login" not in self.page.url, f"sign-in as {username} failed"

    def sign_out(self) -> None:
        self.page.click("form.signout button")
        self.page.wait_for_url("**/login")


@pytest.fixture
def watched(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Factory of watched pages for a server base URL (each in a fresh browser context)."""
    contexts = []

    def make(base_url: str, **context_options: Any) -> Watched:
        context = chromium.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        watched_page = Watched(page=page, base_url=base_url)

        def on_dialog(dialog: Any) -> None:
            watched_page.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_route(route: Any) -> None:
            url = route.request.url
            watched_page.requests.append(url)
            if not url.startswith(base_url):
                watched_page.blocked.append(url)
                route.abort()
                return
            route.continue_()

        def on_console(message: Any) -> None:
            if message.type == "error":
                watched_page.console_errors.append(message.text)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda e: watched_page.console_errors.append(f"pageerror: {e}"))
        context.route("**/*", on_route)
        return watched_page

    yield make
    for context in contexts:
        context.close()
