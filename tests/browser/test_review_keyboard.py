"""A reviewer works the queue in real Chromium with the keyboard only; an admin edits the taxonomy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.db import session_scope
from app.patterns.models import TaxonomyVersion
from app.patterns.service import current_version_id, list_patterns
from app.review.models import Assignment, Judgment
from tests.web_helpers import ARTIFACTS, Server, get_user, live_sqlite_server, make_user, seed_samples

pytestmark = pytest.mark.browser


def _seed(engine: Engine) -> None:
    seed_samples(engine)
    for name in ("keys", "shot", "anon"):
        make_user(engine, name)
    make_user(engine, "adm", role="admin")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Engine]]:
    with live_sqlite_server(tmp_path_factory.mktemp("browser-review"), _seed) as pair:
        yield pair


def _pair_id(page: Any) -> int:
    page.wait_for_selector("#review-pane[data-pair-id]")
    return int(page.get_attribute("#review-pane", "data-pair-id"))


def _press_and_wait_for_next(page: Any, key: str, current: int) -> int:
    # Verdict keys count once the minimum time after serving has passed (the pane says so).
    page.wait_for_selector("#review-pane[data-ready=keys]")
    page.keyboard.press(key)
    page.wait_for_function(
        "id => { const p = document.getElementById('review-pane'); return p && p.dataset.pairId "
        "&& p.dataset.pairId !== String(id) && p.dataset.ready !== undefined; }",
        arg=current,
    )
    page.wait_for_load_state("networkidle")
    return _pair_id(page)


def _judgment(engine: Engine, username: str, pair_id: int) -> Judgment | None:
    with session_scope(engine, read_only=True) as session:
        user = get_user(session, username)
        return session.execute(
            select(Judgment).where(col(Judgment.pair_id) == pair_id, col(Judgment.reviewer_id) == user.id)
        ).scalar_one_or_none()


def _other(side: str) -> str:
    return "second" if side == "first" else "first"


class TestSignIn:
    def test_anonymous_user_is_sent_to_login(self, live: tuple[Server, Engine], watched: Any) -> None:
        server, _ = live
        w = watched(server.url)
        w.goto("/review")
        assert w.page.url == f"{server.url}/login?next=/review"
        w.page.fill("input[name=username]", "anon")
        w.page.fill("input[name=password]", "correct horse battery staple")
        w.page.press("input[name=password]", "Enter")
        w.page.wait_for_url(f"{server.url}/review")
        assert w.dialogs == []
        assert w.console_errors == []


class TestKeyboardReview:
    def test_review_with_the_keyboard_only(self, live: tuple[Server, Engine], watched: Any) -> None:
        server, engine = live
        w = watched(server.url, viewport={"width": 1440, "height": 900})
        page = w.page
        w.sign_in("keys")
        w.goto("/review")
        first = _pair_id(page)
        page.evaluate("window.__noReload = 'still here'")
        slugs = {p.hotkey: p.slug for p in _patterns(engine)}

        # Pair 1: tags on both answers, the diff, then "A is better".
        page.keyboard.press("[")
        page.keyboard.press("1")
        page.keyboard.press("3")
        page.keyboard.press("]")
        page.keyboard.press("2")
        page.keyboard.press("d")
        page.wait_for_selector("#diff[open] #diff-body :is(del, ins)")
        assert page.is_visible("#diff")
        page.keyboard.press("d")
        second = _press_and_wait_for_next(page, "a", first)
        j = _judgment(engine, "keys", first)
        assert j is not None
        assert j.verdict == j.left_side
        left, right = sorted([slugs["1"], slugs["3"]]), [slugs["2"]]
        assert (j.patterns_first, j.patterns_second) == (
            (left, right) if j.left_side == "first" else (right, left)
        )

        # Pairs 2-4: b, e, n.
        third = _press_and_wait_for_next(page, "b", second)
        j = _judgment(engine, "keys", second)
        assert j is not None
        assert (j.verdict, j.patterns_first, j.patterns_second) == (_other(j.left_side), [], [])
        fourth = _press_and_wait_for_next(page, "e", third)
        j = _judgment(engine, "keys", third)
        assert j is not None
        assert j.verdict == "tie"
        fifth = _press_and_wait_for_next(page, "n", fourth)
        j = _judgment(engine, "keys", fourth)
        assert j is not None
        assert j.verdict == "not_a_pair"

        # u: the last verdict is undone and its pair is back on screen.
        back = _press_and_wait_for_next(page, "u", fifth)
        assert back == fourth
        assert "Your last verdict was undone." in page.inner_text("#review-pane")
        assert _judgment(engine, "keys", fourth) is None

        # w: edit the focused (left) answer into a gold answer, Tab to its save button, Enter.
        page.keyboard.press("w")
        page.wait_for_selector("#answer-left .editor:not([hidden]) textarea:focus")
        page.keyboard.press("Control+a")
        page.keyboard.type("A gold answer written in the browser.")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.action") == "save-gold"
        after_gold = _press_and_wait_for_next(page, "Enter", fourth)
        j = _judgment(engine, "keys", fourth)
        assert j is not None
        assert (j.verdict, j.edited_text) == (j.left_side, "A gold answer written in the browser.")
        assert j.edited_by_id == j.reviewer_id

        # ?: help opens; Esc closes it.
        page.keyboard.press("?")
        assert page.is_visible("dialog#help[open]")
        page.keyboard.press("Escape")
        assert not page.is_visible("dialog#help[open]")

        # s: skip.
        skipped = after_gold
        _press_and_wait_for_next(page, "s", skipped)
        assert _judgment(engine, "keys", skipped) is None
        with session_scope(engine, read_only=True) as session:
            lease = session.execute(
                select(Assignment).where(
                    col(Assignment.pair_id) == skipped,
                    col(Assignment.reviewer_id) == get_user(session, "keys").id,
                )
            ).scalar_one()
            assert lease.skipped is True

        # No full page load happened along the way.
        assert page.evaluate("window.__noReload") == "still here"
        assert w.dialogs == []
        assert w.console_errors == []
        assert w.blocked == []

        w.sign_out()
        w.goto("/review")
        assert w.page.url == f"{server.url}/login?next=/review"

    def test_screenshot_of_the_review_page(self, live: tuple[Server, Engine], watched: Any) -> None:
        server, _ = live
        w = watched(server.url, viewport={"width": 1440, "height": 900})
        w.sign_in("shot")
        w.goto("/review")
        _pair_id(w.page)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = Path(ARTIFACTS / "review.png")
        w.page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
        assert w.page.viewport_size == {"width": 1440, "height": 900}


class TestAdminTaxonomy:
    def test_rename_and_add_a_pattern_in_the_browser(self, live: tuple[Server, Engine], watched: Any) -> None:
        server, engine = live
        w = watched(server.url)
        w.sign_in("adm")
        w.goto("/admin/patterns")
        before = _version(engine)
        w.page.fill("input[aria-label=name] >> nth=0", "Trade-offs (renamed)")
        w.page.fill("input[aria-label='new slug']", "cites-sources")
        w.page.fill("input[aria-label='new name']", "Cites sources")
        w.page.fill("input[aria-label='new description']", "Links to the docs it relies on")
        w.page.fill("input[aria-label='new hotkey']", "x")
        with w.page.expect_navigation():
            w.page.click("button:has-text('Save as a new version')")
        w.page.wait_for_load_state("networkidle")
        assert w.page.url == f"{server.url}/admin/patterns"
        after = _version(engine)
        assert after == before + 1
        assert f"version {after}" in w.page.inner_text("h1")
        patterns = {p.slug: p for p in _patterns(engine)}
        assert patterns["tradeoffs"].name == "Trade-offs (renamed)"
        assert (patterns["cites-sources"].name, patterns["cites-sources"].hotkey) == ("Cites sources", "x")
        with session_scope(engine, read_only=True) as session:
            snapshot = session.get_one(TaxonomyVersion, after).snapshot
        assert {"slug": "cites-sources", "name": "Cites sources", "description": "Links to the docs it relies on",
                "hotkey": "x", "active": True} in snapshot  # fmt: skip
        assert w.dialogs == []
        assert w.console_errors == []


def _patterns(engine: Engine) -> list[Any]:
    with session_scope(engine, read_only=True) as session:
        return list_patterns(session, active_only=True)


def _version(engine: Engine) -> int:
    with session_scope(engine, read_only=True) as session:
        return current_version_id(session) or 0
