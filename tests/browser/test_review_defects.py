"""Issue 11's numbered review-screen defects, reproduced in real Chromium at 1440x900 and 1280x720.

Each test drives the keyboard as a reviewer would and checks what was stored, not only what is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.db import session_scope
from app.patterns.service import list_patterns, seed_defaults
from app.review.models import Assignment, Judgment
from tests.web_helpers import ARTIFACTS, Server, add_pair, get_user, live_sqlite_server, make_user

pytestmark = pytest.mark.browser

VIEWPORTS = [{"width": 1440, "height": 900}, {"width": 1280, "height": 720}]


def _answer(kind: str) -> str:
    """A long Markdown answer (code fence, bold, a list) that differs by a few words between the kinds."""
    paragraphs = [
        f"Paragraph {i}: **versioning** keeps old clients working while the API {kind} changes over time."
        for i in range(40)
    ]
    fence = (
        "```python\nclient.get('/v1/items')\n```"
        if kind == "first"
        else "```python\nclient.get('/v2/items')\n```"
    )
    return "# Plan\n\n" + fence + "\n\n- one\n- two\n\n" + "\n\n".join(paragraphs)


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_defaults(session)
        for _ in range(60):
            add_pair(
                session,
                score=0.95,
                question="How should I version my REST API? " * 6,
                first=_answer("first"),
                pushback="That's wrong, you forgot the tradeoffs. Redo it. " * 5,
                second=_answer("second"),
            )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Engine]]:
    # Every test signs a new reviewer in from 127.0.0.1, at both screen sizes: more sign-ins than one address
    # may make in the throttle's window by default (4 x 5).
    with live_sqlite_server(
        tmp_path_factory.mktemp("browser-review-defects"),
        _seed,
        extra_env={"PAIRWISE_LOGIN_MAX_ATTEMPTS": "20"},
    ) as pair:
        yield pair


@pytest.fixture(params=VIEWPORTS, ids=lambda vp: f"{vp['width']}x{vp['height']}")
def screen(
    request: pytest.FixtureRequest, live: tuple[Server, Engine], watched: Any, fast_passwords: None
) -> Iterator[Any]:
    """A new reviewer on /review at the viewport, with a marker that a full page load would erase."""
    server, engine = live
    vp = request.param
    user = f"{request.node.originalname.removeprefix('test_')[:30]}-{vp['width']}"
    make_user(engine, user)
    w = watched(server.url, viewport=vp)
    w.sign_in(user)
    w.goto("/review")
    w.user, w.engine, w.viewport = user, engine, vp
    _ready(w.page)
    w.page.evaluate("window.__noReload = 'still here'")
    yield w
    assert w.page.evaluate("window.__noReload") == "still here", "a full page load happened"
    assert w.dialogs == []
    assert w.console_errors == []


# Fence "languages" in the fixtures that are typos, not languages: they stay plain.
# Not languages: a typo in a fixture, and the labels gptme gives a command's output fences (shown plain).
NOT_LANGUAGES = {"pytho", "stdout", "stderr"}
NOTES = {"SOURCES.md", "README.md", "LABELLING.md"}
# Fence languages Highlight.js has no grammar for (not in its core or its language packs): shown as plain code.
NO_GRAMMAR = {"hcl", "gdscript", "prisma", "promql", "bibtex", "jinja", "DAX", "dax", "lookml", "nft"}


_FENCE_LANGUAGE = re.compile(r"```([A-Za-z0-9_+#./-]+)(?=[ \t]*(?:\n|\\n|\\r|$))")


def _fence_languages() -> list[str]:
    """The languages named by the code fences of tests/fixtures and examples/."""
    root = Path(__file__).resolve().parents[2]
    names: set[str] = set()
    for folder in (root / "tests" / "fixtures", root / "examples"):
        for path in folder.rglob("*"):
            # Notes about the fixtures (SOURCES.md, README.md, LABELLING.md) are not transcripts.
            if (
                path.is_file()
                and path.suffix in {".json", ".jsonl", ".md", ".txt"}
                and path.name not in NOTES
            ):
                # A fence's language ends its line (a real newline, or `\n` inside JSON): "```Preferred name: Sam"
                # (ChatGPT's custom instructions) opens a block of text, not a language.
                for name in re.findall(_FENCE_LANGUAGE, path.read_text(errors="replace")):
                    # A fence named by a file path ("```src/paginate.ts") is highlighted by its extension.
                    names.add(name.rsplit(".", 1)[-1] if "/" in name or "\\" in name else name)
    return sorted(names - NOT_LANGUAGES - NO_GRAMMAR)


def _pair_id(page: Any) -> int:
    page.wait_for_selector("#review-pane[data-pair-id]")
    return int(page.get_attribute("#review-pane", "data-pair-id"))


def _ready(page: Any) -> int:
    """Wait until the pane accepts verdict keys (the minimum time after serving has passed)."""
    pair = _pair_id(page)
    # A page without a minimum delay (data-min-ms) takes keys at once.
    page.wait_for_selector("#review-pane:is([data-ready=keys], :not([data-min-ms]))", timeout=5000)
    return pair


def _next(page: Any, key: str, current: int) -> int:
    page.keyboard.press(key)
    page.wait_for_function(
        "id => { const p = document.getElementById('review-pane'); return p && p.dataset.pairId "
        "&& p.dataset.pairId !== String(id) && (p.dataset.ready === 'keys' || !p.dataset.minMs); }",
        arg=current,
        timeout=5000,
    )
    page.wait_for_load_state("networkidle")
    return _pair_id(page)


def _judgment(engine: Engine, username: str, pair_id: int) -> Judgment | None:
    with session_scope(engine, read_only=True) as session:
        user = get_user(session, username)
        return session.execute(
            select(Judgment).where(col(Judgment.pair_id) == pair_id, col(Judgment.reviewer_id) == user.id)
        ).scalar_one_or_none()


def _posts(w: Any, fragment: str) -> list[str]:
    return [u for u in w.requests if fragment in u]


class TestIntegrity:
    def test_enter_in_the_comment_box_records_nothing(self, screen: Any) -> None:
        """Defect 1: Enter in the comment box used to submit "A is better" through the hidden gold button."""
        page = screen.page
        pair = _pair_id(page)
        page.keyboard.press("c")
        page.keyboard.type("not sure yet")
        page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        assert _posts(screen, "/judge") == []
        assert _judgment(screen.engine, screen.user, pair) is None
        assert _pair_id(page) == pair
        assert page.input_value("input[name=comment]") == "not sure yet"

    def test_a_double_key_press_never_judges_the_next_pair(self, screen: Any) -> None:
        """Defect 2: the second of two presses 30 ms apart judged the next pair unseen."""
        page = screen.page
        pair = _pair_id(page)
        page.keyboard.press("e")
        page.wait_for_timeout(30)
        page.keyboard.press("e")
        page.wait_for_function(
            "id => { const p = document.getElementById('review-pane'); return p && p.dataset.pairId "
            "&& p.dataset.pairId !== String(id); }",
            arg=pair,
        )
        page.wait_for_load_state("networkidle")
        following = _pair_id(page)
        judgment = _judgment(screen.engine, screen.user, pair)
        assert judgment is not None
        assert judgment.verdict == "tie"
        assert _judgment(screen.engine, screen.user, following) is None

    def test_verdicts_right_after_a_swap_stay_htmx_swaps(self, screen: Any) -> None:
        """Defect 3: every second verdict pressed as soon as the page was idle became a native form POST."""
        page = screen.page
        url = page.url
        pair = _pair_id(page)
        expected = {}
        for key in ("b", "a", "e", "n"):
            following = _next(page, key, pair)
            expected[pair] = key
            assert page.url == url
            pair = following
        with session_scope(screen.engine, read_only=True) as session:
            uid = get_user(session, screen.user).id
            stored = {
                j.pair_id: j
                for j in session.execute(select(Judgment).where(col(Judgment.reviewer_id) == uid)).scalars()
            }
        assert set(stored) == set(expected)
        for pid, key in expected.items():
            j = stored[pid]
            want = {
                "a": j.left_side,
                "b": "second" if j.left_side == "first" else "first",
                "e": "tie",
                "n": "not_a_pair",
            }
            assert j.verdict == want[key]

    def test_esc_keeps_the_gold_edit_and_ctrl_enter_saves_it(self, screen: Any) -> None:
        """Defect 4: Esc after w silently discarded the edit; saving needed Tab to a button below the fold."""
        page = screen.page
        pair = _pair_id(page)
        page.keyboard.press("]")
        page.keyboard.press("w")
        page.wait_for_selector("#answer-right .editor:not([hidden]) textarea:focus")
        page.keyboard.press("Control+a")
        page.keyboard.type("A better gold answer.")
        page.keyboard.press("Escape")
        assert page.is_visible("#answer-right .editor textarea")
        assert page.input_value("#answer-right .editor textarea") == "A better gold answer."
        assert "Draft kept" in page.inner_text("#answer-right .editor-hint")
        page.keyboard.press("a")  # a verdict key while a draft is open does not record anything
        page.wait_for_load_state("networkidle")
        assert _judgment(screen.engine, screen.user, pair) is None
        page.keyboard.press("w")
        page.keyboard.press("Control+Enter")
        page.wait_for_function(
            "id => document.getElementById('review-pane').dataset.pairId !== String(id)", arg=pair
        )
        j = _judgment(screen.engine, screen.user, pair)
        assert j is not None
        assert j.edited_text == "A better gold answer."
        assert j.verdict == ("second" if j.left_side == "first" else "first")


class TestReadable:
    def test_diff_keeps_focus_is_a_dialog_and_shows_rendered_text(self, screen: Any) -> None:
        """Defect 5: d moved focus to answer A, opened under the action bar and diffed raw Markdown."""
        page = screen.page
        pair = _pair_id(page)
        page.keyboard.press("]")
        page.keyboard.press("d")
        page.wait_for_selector("#diff[open] #diff-body :is(del, ins)")
        assert page.evaluate("document.getElementById('diff').matches(':modal')")
        text = page.inner_text("#diff-body")
        assert "```" not in text
        assert "**" not in text
        assert "# Plan" not in text
        # Sides are randomized per reviewer: one side's fence says v1, the other's v2.
        changed = {page.inner_text("#diff-body del").strip(), page.inner_text("#diff-body ins").strip()}
        assert changed == {"v1", "v2"}
        page.keyboard.press("d")
        assert not page.is_visible("#diff")
        hotkey = _patterns(screen.engine)[0].hotkey
        page.keyboard.press(hotkey)
        assert page.is_checked(f"#answer-right input[data-hotkey='{hotkey}']")
        assert not page.is_checked(f"#answer-left input[data-hotkey='{hotkey}']")
        assert _pair_id(page) == pair

    def test_code_is_highlighted_in_the_browser_on_load_and_after_each_verdict(self, screen: Any) -> None:
        """The server sends code escaped with its language (app/rendering.py); static/app.js highlights it on
        the first page and in every pane a verdict swaps in, with no error in the console (the fixture)."""
        page = screen.page
        pair = _pair_id(page)
        strings = "#answer-{side} pre code.language-python.hljs .hljs-string"
        for side in ("left", "right"):
            page.wait_for_selector(strings.format(side=side), timeout=5000)
        assert "client.get(" in page.inner_text("#answer-left pre code")
        following = _next(page, "e", pair)
        assert following != pair
        for side in ("left", "right"):
            page.wait_for_selector(strings.format(side=side), timeout=5000)
        # Every fence language of the sample and real-format transcripts is one the browser highlights (the
        # common bundle alone left Dockerfiles, HTTP and nginx plain).
        unknown = page.evaluate(
            "names => names.filter(name => !window.hljs.getLanguage(name))", _fence_languages()
        )
        assert unknown == []

    def test_keys_scroll_the_focused_answer_and_a_swap_scrolls_to_the_top(self, screen: Any) -> None:
        """Defect 6: j/k, Space scrolled the page, not the answer; the page stayed scrolled after a swap."""
        page = screen.page
        pair = _pair_id(page)
        page.keyboard.press("]")
        body = "#answer-right .answer-body"
        page.keyboard.press("j")
        after_j = page.eval_on_selector(body, "b => b.scrollTop")
        page.keyboard.press("Space")
        after_space = page.eval_on_selector(body, "b => b.scrollTop")
        page.keyboard.press("k")
        after_k = page.eval_on_selector(body, "b => b.scrollTop")
        assert 0 < after_j < after_space
        assert after_k < after_space
        assert page.eval_on_selector("#answer-left .answer-body", "b => b.scrollTop") == 0
        assert page.evaluate("window.scrollY") == 0
        page.evaluate("window.scrollTo(0, 400)")
        _next(page, "e", pair)
        assert page.evaluate("window.scrollY") == 0

    def test_layout_shows_twelve_lines_of_each_answer_and_a_screenshot(self, screen: Any) -> None:
        """Defect 6: at 1280x720 no answer text was above the fold; a screenshot per viewport is kept."""
        page = screen.page
        _pair_id(page)
        lines = page.evaluate(
            """() => {
              const bar = document.querySelector('.verdicts').getBoundingClientRect().top;
              const bottom = Math.min(window.innerHeight, bar);
              return ['left', 'right'].map(side => {
                const md = document.querySelector('#answer-' + side + ' .answer-body .md');
                const box = document.querySelector('#answer-' + side + ' .answer-body').getBoundingClientRect();
                const r = md.getBoundingClientRect();
                const visible = Math.min(bottom, box.bottom, r.bottom) - Math.max(0, box.top, r.top);
                return visible / parseFloat(getComputedStyle(md).lineHeight);
              });
            }"""
        )
        assert min(lines) >= 12, lines
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = Path(ARTIFACTS / f"review-{screen.viewport['width']}x{screen.viewport['height']}.png")
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000


class TestHistoryAndUndo:
    def test_history_never_says_which_side_was_the_revision(self, screen: Any) -> None:
        """Defect 8: history said "revision better"."""
        page = screen.page
        pair = _pair_id(page)
        _next(page, "a", pair)
        screen.goto("/review/history")
        text = page.inner_text("table")
        assert "A (left) better" in text
        assert "revision" not in text
        assert "first answer" not in text
        screen.page.evaluate("window.__noReload = 'still here'")

    def test_undo_restores_patterns_comment_and_flag(self, screen: Any) -> None:
        """Defect 9: undo brought the pair back without its tags, comment and flag."""
        page = screen.page
        pair = _pair_id(page)
        hotkey = _patterns(screen.engine)[1].hotkey
        page.keyboard.press("[")
        page.keyboard.press(hotkey)
        page.keyboard.press("f")
        page.keyboard.press("c")
        page.keyboard.type("the fence changed")
        page.keyboard.press("Escape")
        following = _next(page, "b", pair)
        assert _judgment(screen.engine, screen.user, pair) is not None
        back = _next(page, "u", following)
        assert back == pair
        assert _judgment(screen.engine, screen.user, pair) is None
        assert page.is_checked(f"#answer-left input[data-hotkey='{hotkey}']")
        assert page.is_checked("input[name=flagged]")
        assert page.input_value("input[name=comment]") == "the fence changed"


class TestTruthfulQueue:
    def test_an_admin_looking_at_review_takes_no_lease(
        self, live: tuple[Server, Engine], watched: Any, fast_passwords: None
    ) -> None:
        """Defect 7: an admin who merely opened /review held a pair for 10 minutes."""
        server, engine = live
        make_user(engine, "looker", role="admin")
        w = watched(server.url, viewport=VIEWPORTS[1])
        w.sign_in("looker")
        w.goto("/review")
        assert "Looking at this page takes no pair" in w.page.inner_text("#review-pane")
        with session_scope(engine, read_only=True) as session:
            uid = get_user(session, "looker").id
            assert (
                session.execute(select(Assignment).where(col(Assignment.reviewer_id) == uid)).first() is None
            )
        w.page.keyboard.press("r")
        w.page.wait_for_selector("#review-pane[data-pair-id]")
        with session_scope(engine, read_only=True) as session:
            assert (
                session.execute(select(Assignment).where(col(Assignment.reviewer_id) == uid)).first()
                is not None
            )
        assert int(w.page.inner_text("[data-stat=remaining]")) > 0
        assert w.console_errors == []


def _patterns(engine: Engine) -> list[Any]:
    with session_scope(engine, read_only=True) as session:
        return list_patterns(session, active_only=True)
