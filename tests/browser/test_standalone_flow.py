"""In real Chromium: a reviewer edits a prompt, applies the standalone transform by key and accepts a suggestion
from a stand-in provider on loopback; the admin's release form shows the counts; the exported rows carry the edits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from app.assist.models import Suggestion
from app.db import session_scope
from app.pairs.leak_check import check_unchecked_pairs
from tests.assist.fake_chat import KEY, FakeChat, serve_chat
from tests.web_helpers import Server, add_pair, live_sqlite_server, make_user

pytestmark = pytest.mark.browser
QUESTION = "How do I paginate a SQL query?"
FOLDED = "How do I paginate a SQL query on a table with 50M rows?"
SUGGESTED = "Keyset pagination stays fast on large tables: WHERE id > :last ORDER BY id LIMIT 50."


def _seed(engine: Engine) -> None:
    make_user(engine, "rev")
    make_user(engine, "adm", role="admin")
    with session_scope(engine) as session:
        add_pair(session, question=QUESTION, first="Use OFFSET and LIMIT.", pushback="Wrong: the table has 50M rows.",
                 second="Good catch! With 50M rows, use keyset pagination.")  # fmt: skip
        check_unchecked_pairs(session.connection())


def _reply(messages: list[dict[str, str]]) -> str:
    return "How do I paginate 50M rows?" if "Rewrite the question" in messages[0]["content"] else SUGGESTED


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Engine, FakeChat]]:
    with (
        serve_chat(_reply) as fake,
        live_sqlite_server(
            tmp_path_factory.mktemp("standalone"),
            _seed,
            extra_env={"PAIRWISE_ALLOW_PRIVATE_ENDPOINTS": "true"},
        ) as pair,
    ):
        yield pair[0], pair[1], fake


def _wait_for(condition: Any, what: str, attempts: int = 100) -> None:
    """Poll a condition the server fulfils in the background (a job); fails with `what` if it never holds."""
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def _press(page: Any, key: str) -> None:
    """Press a panel key once htmx has wired the button it clicks (a freshly swapped panel needs a moment)."""
    page.wait_for_function(
        "key => { const b = document.querySelector(`#standalone-panel [data-standalone-key=${key}]`);"
        " return !!(b && b['htmx-internal-data']); }",
        arg=key,
    )
    page.keyboard.press(key)


def test_reviewer_fixes_the_row_and_the_release_carries_it(
    live: tuple[Server, Engine, FakeChat], watched: Any
) -> None:
    server, engine, fake = live
    # The reviewer takes the pair first (an admin landing on the review page would lease it otherwise).
    reviewer = watched(server.url)
    reviewer.sign_in("rev")
    reviewer.goto("/review")
    reviewer.page.wait_for_selector("#standalone-panel mark.leak")
    admin = watched(server.url)
    admin.sign_in("adm")
    admin.goto("/admin/suggestions")
    admin.page.fill("input[name=base_url]", fake.base_url)
    admin.page.fill("input[name=model]", "stand-in")
    admin.page.fill("input[name=api_key]", KEY)
    admin.page.click("form[action='/admin/suggestions/provider'] button[type=submit]")
    admin.page.wait_for_load_state("networkidle")
    assert KEY not in admin.page.content()
    admin.page.click("form[action='/admin/suggestions/run'] button[type=submit]")
    admin.page.wait_for_load_state("networkidle")

    def suggested() -> bool:
        with session_scope(engine, read_only=True) as session:
            return len(session.exec(select(Suggestion)).all()) == 2

    _wait_for(suggested, "the suggest job stored two suggestions")

    reviewer.goto("/review")
    page = reviewer.page
    page.wait_for_selector("#standalone-panel mark.leak")
    assert page.locator("#standalone-panel mark.leak").first.inner_text() == "Good catch"
    # p: edit the gold prompt, folding the follow-up's fact into the question.
    page.keyboard.press("p")
    page.keyboard.press("Control+a")
    page.keyboard.type(FOLDED)
    page.click("#standalone-panel form.gold-prompt button[type=submit]")
    page.wait_for_selector("#standalone-panel .notice:has-text('Gold prompt saved')")
    # With the fact in the prompt the transform applies: t makes it the gold answer.
    page.wait_for_selector("#standalone-panel [data-standalone-preview]")
    _press(page, "t")
    page.wait_for_selector("#standalone-panel .notice:has-text('standalone transform was applied')")
    # y accepts the first suggestion (the standalone rewrite), i ignores the folded prompt suggestion.
    assert page.locator("#standalone-panel .suggestion").count() == 2
    _press(page, "y")
    page.wait_for_selector("#standalone-panel .notice:has-text('Suggestion accepted')")
    _press(page, "i")
    page.wait_for_selector("#standalone-panel .notice:has-text('Suggestion ignored')")
    assert reviewer.console_errors == []

    admin.goto("/admin/releases/new")
    admin.page.select_option("select[name=status]", "candidate")
    admin.page.wait_for_selector("#standalone-counts [data-count=gold_edited]:has-text('1 gold-edited')")
    assert "1 pairs match" in admin.page.inner_text("#standalone-counts").replace("1\npairs", "1 pairs")
    admin.page.fill("input[name=name]", "standalone-flow")
    admin.page.fill("input[name=split]", "0")
    admin.page.click("form[action='/admin/releases'] button[type=submit]")
    admin.page.wait_for_url("**/admin/releases/*")
    release_url = admin.page.url

    def built() -> bool:
        return admin.page.request.get(f"{release_url}/files/train.jsonl").status == 200

    _wait_for(built, "the release was built")
    rows = [
        orjson.loads(line)
        for line in admin.page.request.get(f"{release_url}/files/train.jsonl").body().splitlines()
    ]
    assert rows == [
        {
            "input": {"messages": [{"role": "user", "content": FOLDED}]},
            "preferred_output": [{"role": "assistant", "content": SUGGESTED}],
            "non_preferred_output": [{"role": "assistant", "content": "Use OFFSET and LIMIT."}],
        }
    ]
    admin.goto(release_url.removeprefix(server.url))
    admin.page.wait_for_selector("#standalone-summary")
    assert "1 gold-edited, 0 excluded" in admin.page.inner_text("#standalone-summary")
    manifest = orjson.loads(admin.page.request.get(f"{release_url}/files/manifest.json").body())
    assert manifest["standalone"]["gold_edited"] == 1
    assert admin.console_errors == []
