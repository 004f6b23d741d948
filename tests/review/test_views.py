"""The review pages: verdicts in screen order, patterns per side, gold edits, skip, undo, 409s, history."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine, select
from sqlmodel import col
from starlette.testclient import TestClient

from app.assist.models import SecondOpinion
from app.assist.opinions import PROMPT_VERSION
from app.auth.service import set_active
from app.db import session_scope
from app.pairs.models import Pair
from app.patterns.service import PatternInput, list_patterns, save_taxonomy
from app.review.guidelines import Guidelines, save_guidelines
from app.review.models import Assignment, Judgment
from app.review.queue import left_side_for
from tests.page_helpers import one
from tests.sql_helpers import statements
from tests.web_helpers import (
    expire_leases,
    get_user,
    judgments_of,
    make_user,
    post_form,
    screen_token,
    seed_samples,
    signed_in,
)

pytestmark = pytest.mark.usefixtures("fast_passwords")
PAIR_RE = re.compile(r'data-pair-id="(\d+)"')


@pytest.fixture
def world(engine: Engine) -> list[int]:
    pairs = seed_samples(engine)
    make_user(engine, "rev")
    make_user(engine, "rev2")
    return pairs


def _pair_id(html: str) -> int | None:
    match = PAIR_RE.search(html)
    return int(match.group(1)) if match else None


def _left_side(engine: Engine, pair_id: int) -> str:
    with session_scope(engine, read_only=True) as session:
        return session.execute(
            select(col(Assignment.left_side)).where(col(Assignment.pair_id) == pair_id)
        ).scalar_one()


def _origin(left_side: str, screen: str) -> str:
    other = "second" if left_side == "first" else "first"
    return left_side if screen == "left" else other


class TestVerdictsInScreenOrder:
    @pytest.mark.parametrize("orientation", ["first", "second"])
    @pytest.mark.parametrize("screen", ["left", "right"])
    def test_a_or_b_maps_to_the_detected_orientation(
        self, engine: Engine, world: list[int], screen: str, orientation: str
    ) -> None:
        """Both orientations: a reviewer who sees the detected first answer on the left, and one who sees it
        on the right (the side is fixed per pair and reviewer, so the reviewer is chosen to get each)."""
        name = next(
            f"o{i}"
            for i in range(64)
            if left_side_for(pair_id=world[0], reviewer_id=make_user(engine, f"o{i}")) == orientation
        )
        c = signed_in(name)
        pair_id = _pair_id(post_form(c, "/review/next", htmx=True).text)
        assert pair_id == world[0]
        left_side = _left_side(engine, pair_id)
        assert left_side == orientation
        response = post_form(c, f"/review/{pair_id}/judge", {
            "verdict": screen, "patterns_left": ["tradeoffs", "testing"], "patterns_right": ["security"],
        }, htmx=True)  # fmt: skip
        assert response.status_code == 200, response.text
        (judgment,) = judgments_of(engine, name)
        verdict = _origin(left_side, screen)
        assert (judgment.verdict, judgment.left_side) == (verdict, left_side)
        left_patterns, right_patterns = ["testing", "tradeoffs"], ["security"]
        expected_first = left_patterns if left_side == "first" else right_patterns
        expected_second = right_patterns if left_side == "first" else left_patterns
        assert (judgment.patterns_first, judgment.patterns_second) == (expected_first, expected_second)
        with session_scope(engine, read_only=True) as session:
            pair = session.get_one(Pair, pair_id)
            assert (pair.status, pair.swapped) == ("accepted", verdict == "first")

    @pytest.mark.parametrize(("verdict", "status"), [("tie", "tie"), ("not_a_pair", "not_a_pair")])
    def test_tie_and_not_a_pair(self, engine: Engine, world: list[int], verdict: str, status: str) -> None:
        c = signed_in("rev")
        pair_id = _pair_id(post_form(c, "/review/next").text)
        post_form(c, f"/review/{pair_id}/judge", {"verdict": verdict})
        with session_scope(engine, read_only=True) as session:
            assert session.get_one(Pair, pair_id).status == status

    def test_after_a_verdict_the_next_pair_is_in_the_partial(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        post_form(c, "/review/next", htmx=True)
        response = post_form(c, f"/review/{world[0]}/judge", {"verdict": "tie"}, htmx=True)
        assert _pair_id(response.text) == world[1]
        assert "<!doctype html>" not in response.text.lower()
        assert response.text.lstrip().startswith('<section id="review-pane"')
        assert re.search(r'<strong data-stat="today">1</strong>', response.text)

    def test_a_full_page_post_gets_a_full_page(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        response = post_form(c, "/review/next")
        assert "<!doctype html>" in response.text.lower()

    def test_the_stored_signals_are_shown_in_small_print(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        html = post_form(c, "/review/next").text
        with session_scope(engine, read_only=True) as session:
            pair = session.get(Pair, _pair_id(html))
            assert pair is not None
            signals = pair.signals.split(",")
        assert signals != [""]
        shown = BeautifulSoup(html, "html.parser").select_one("p.small [data-signals]")
        assert shown is not None
        assert shown.get_text() == f"({', '.join(signals)})"

    def test_the_answers_are_shown_in_lease_order(self, engine: Engine, world: list[int]) -> None:
        from app.conversations.models import Turn

        c = signed_in("rev")
        html = post_form(c, "/review/next").text
        pair_id = _pair_id(html)
        left_side = _left_side(engine, pair_id or 0)
        with session_scope(engine, read_only=True) as session:
            pair = session.get_one(Pair, pair_id)
            first = session.get_one(Turn, pair.first_turn_id).text
        soup = BeautifulSoup(html, "html.parser")
        left_text = one(soup, "#answer-left textarea[data-editor=left]").get_text()
        assert (left_text == first) == (left_side == "first")
        for content in soup.select("[hx-disable], textarea"):
            content.decompose()
        chrome = soup.get_text().lower()
        assert "turn 2" not in chrome
        assert "turn 4" not in chrome
        assert "rejected" not in chrome


class TestGoldEdit:
    def _open(self, engine: Engine) -> tuple[TestClient, int, str]:
        c = signed_in("rev")
        html = post_form(c, "/review/next").text
        pair_id = _pair_id(html) or 0
        return c, pair_id, _left_side(engine, pair_id)

    def test_gold_edit_of_the_preferred_answer_is_stored(self, engine: Engine, world: list[int]) -> None:
        c, pair_id, left_side = self._open(engine)
        response = post_form(
            c,
            f"/review/{pair_id}/judge",
            {"verdict": "left", "edited_side": "left", "edited_text": "A better gold answer.\r\nLine 2"},
        )
        assert response.status_code == 200
        (judgment,) = judgments_of(engine, "rev")
        assert judgment.edited_text == "A better gold answer.\nLine 2"
        assert judgment.verdict == left_side
        assert judgment.edited_at is not None

    def test_gold_edit_of_the_other_answer_is_refused(self, engine: Engine, world: list[int]) -> None:
        c, pair_id, _ = self._open(engine)
        response = post_form(
            c,
            f"/review/{pair_id}/judge",
            {"verdict": "left", "edited_side": "right", "edited_text": "Edited the wrong one"},
        )
        assert response.status_code == 422
        assert "You edited the right answer but did not prefer it" in response.text
        assert judgments_of(engine, "rev") == []

    def test_an_unchanged_editor_is_not_a_gold_edit(self, engine: Engine, world: list[int]) -> None:
        c, pair_id, _ = self._open(engine)
        html = c.get("/review").text
        original = one(BeautifulSoup(html, "html.parser"), "textarea[data-editor=right]").get_text()
        post_form(
            c, f"/review/{pair_id}/judge", {"verdict": "tie", "edited_side": "right", "edited_text": original}
        )
        (judgment,) = judgments_of(engine, "rev")
        assert judgment.edited_text is None


class TestSkipAndUndo:
    def test_skip_serves_the_next_pair(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        post_form(c, "/review/next")
        response = post_form(c, f"/review/{world[0]}/skip", htmx=True)
        assert _pair_id(response.text) == world[1]
        assert judgments_of(engine, "rev") == []

    def test_undo_brings_the_pair_back(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        post_form(c, "/review/next")
        post_form(c, f"/review/{world[0]}/judge", {"verdict": "right"})
        response = post_form(c, "/review/undo", htmx=True)
        assert "Your last verdict was undone." in response.text
        assert _pair_id(response.text) == world[0]
        assert judgments_of(engine, "rev") == []
        assert c.get("/review").text.count(f'data-pair-id="{world[0]}"') == 1

    def test_undo_with_nothing_to_undo(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        response = post_form(c, "/review/undo", htmx=True)
        assert "Nothing to undo in the last hour." in response.text

    def test_empty_queue(self, engine: Engine) -> None:
        make_user(engine, "rev")
        response = post_form(signed_in("rev"), "/review/next")
        assert "The queue is empty" in response.text


class TestConflictsOnThePage:
    def test_twice_is_409(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        post_form(c, "/review/next")
        post_form(c, f"/review/{world[0]}/judge", {"verdict": "tie"})
        # The lease is gone after the verdict; a replayed form is not in the queue any more.
        again = post_form(c, f"/review/{world[0]}/judge", {"verdict": "left"})
        assert again.status_code == 404
        assert len(judgments_of(engine, "rev")) == 1

    def test_expired_lease_taken_by_another_is_409_with_a_message(
        self, engine: Engine, world: list[int]
    ) -> None:
        old, new = signed_in("rev"), signed_in("rev2")
        post_form(old, "/review/next")
        expire_leases(engine)
        assert _pair_id(post_form(new, "/review/next").text) == world[0]
        response = post_form(old, f"/review/{world[0]}/judge", {"verdict": "tie"}, htmx=True)
        assert response.status_code == 409
        assert "Your hold on this pair expired and it went to another reviewer" in response.text
        assert response.headers["hx-retarget"] == "#toasts"
        assert judgments_of(engine, "rev") == []

    def test_stale_edit_in_two_tabs_is_409_with_a_clear_message(
        self, engine: Engine, world: list[int]
    ) -> None:
        c = signed_in("rev")
        post_form(c, "/review/next")
        post_form(c, f"/review/{world[0]}/judge", {"verdict": "right"})
        (judgment,) = judgments_of(engine, "rev")
        page = c.get(f"/review/judgments/{judgment.id}").text
        version = one(BeautifulSoup(page, "html.parser"), "input[name=version]")["value"]
        assert version == "1"
        tab_one = post_form(c, f"/review/judgments/{judgment.id}",
                            {"version": version, "edited_text": "Tab one", "comment": "first"})  # fmt: skip
        assert tab_one.status_code == 303
        assert tab_one.headers["location"] == "/review/history"
        tab_two = post_form(c, f"/review/judgments/{judgment.id}",
                            {"version": version, "edited_text": "Tab two", "comment": "second"})  # fmt: skip
        assert tab_two.status_code == 409
        assert "This judgment was changed in another tab or window after you opened it." in tab_two.text
        with session_scope(engine, read_only=True) as session:
            stored = session.get_one(Judgment, judgment.id)
            assert (stored.edited_text, stored.comment, stored.version) == ("Tab one", "first", 2)


class TestEveryRequestAsksTheDatabase:
    """Nothing about who is signed in, the settings or the taxonomy outlives a request (web processes share
    no memory): a change made anywhere holds from the very next request."""

    def test_a_disabled_reviewer_is_refused_on_the_next_request(
        self, engine: Engine, world: list[int]
    ) -> None:
        c = signed_in("rev")
        pair_id = _pair_id(post_form(c, "/review/next", htmx=True).text)
        assert pair_id is not None
        token = screen_token(c)
        with session_scope(engine) as session:
            set_active(session, user=get_user(session, "rev"), active=False)
        # A write whose session no longer signs anyone in fails the CSRF check (the token was the session's).
        judged = post_form(c, f"/review/{pair_id}/judge", {"verdict": "tie", "token": token}, htmx=True)
        assert judged.status_code == 403
        assert post_form(c, "/review/next", htmx=True).status_code == 403
        assert c.get("/review").headers["location"].startswith("/login")
        assert judgments_of(engine, "rev") == []

    def test_a_new_taxonomy_and_guidelines_show_on_the_next_pair(
        self, engine: Engine, world: list[int]
    ) -> None:
        c = signed_in("rev")
        first = post_form(c, "/review/next", htmx=True).text
        assert 'value="security"' in first
        with session_scope(engine) as session:
            kept = [p for p in list_patterns(session) if p.slug != "security"]
            save_taxonomy(session, user_id=None, patterns=[
                PatternInput(slug=p.slug, name=p.name, description=p.description, hotkey=p.hotkey,
                             position=i) for i, p in enumerate(kept)])  # fmt: skip
            save_guidelines(session, admin_id=None, guidelines=Guidelines(text="Prefer the tested answer."))
        pane = post_form(c, f"/review/{_pair_id(first)}/judge", {"verdict": "tie"}, htmx=True).text
        assert 'value="security"' not in pane
        assert "Prefer the tested answer." in pane
        refused = post_form(
            c, f"/review/{_pair_id(pane)}/judge", {"verdict": "left", "patterns_left": ["security"]}
        )
        assert refused.status_code == 422


class TestSecondOpinion:
    def _opinion(self, engine: Engine, pair_id: int, **values: object) -> None:
        with session_scope(engine) as session:
            session.add(SecondOpinion(pair_id=pair_id, model="stand-in", **values))  # type: ignore[arg-type]

    def test_the_screen_shows_the_models_opinion_in_small_print(
        self, engine: Engine, world: list[int]
    ) -> None:
        c = signed_in("rev")
        pair_id = _pair_id(post_form(c, "/review/next", htmx=True).text)
        assert pair_id is not None
        self._opinion(engine, pair_id, prompt_version=PROMPT_VERSION, verdict="pair", confidence=0.8,
                      reason="The revision <b>takes</b> the correction.")  # fmt: skip
        page = BeautifulSoup(c.get("/review").text, "html.parser")
        note = one(page, "header.pair-head p.second-opinion")
        assert " ".join(note.get_text().split()) == (
            "Second opinion (model): likely a pair, 0.80 — The revision <b>takes</b> the correction."
        )
        assert "small" in note["class"]
        assert "stand-in" in str(note["title"])
        assert note.find("b") is None, "the model's words are text, not markup"

    def test_not_a_pair_without_confidence_and_no_opinion_shows_nothing(
        self, engine: Engine, world: list[int]
    ) -> None:
        c = signed_in("rev")
        pair_id = _pair_id(post_form(c, "/review/next", htmx=True).text)
        assert pair_id is not None
        assert BeautifulSoup(c.get("/review").text, "html.parser").select_one(".second-opinion") is None
        # An opinion asked with an older instruction is not current: not shown.
        self._opinion(engine, pair_id, prompt_version="opinion-0", verdict="pair", reason="old")
        assert BeautifulSoup(c.get("/review").text, "html.parser").select_one(".second-opinion") is None
        self._opinion(engine, pair_id, prompt_version=PROMPT_VERSION, verdict="not_pair", reason="")
        note = one(BeautifulSoup(c.get("/review").text, "html.parser"), ".second-opinion")
        assert " ".join(note.get_text().split()) == "Second opinion (model): likely not a pair"


class TestStatementBudget:
    def test_next_and_verdict_stay_within_their_statements(self, engine: Engine, world: list[int]) -> None:
        """The review routes' SQL (benchmarks/review_cost.py measures their time): sign-in check, lease,
        page; and for a verdict also the lock, the room check (which also reads the scorer's training rule), the
        judgment, the status and the next lease."""
        c = signed_in("rev")
        with statements(engine) as seen:
            pair_id = _pair_id(post_form(c, "/review/next", htmx=True).text)
        nexts = len(seen)
        token = screen_token(c)
        with statements(engine) as seen:
            response = post_form(c, f"/review/{pair_id}/judge", {"verdict": "tie", "token": token}, htmx=True)
        assert response.status_code == 200
        # SQLite counts its BEGINs; PostgreSQL locks the picked pair (see queue._lease_best).
        budget = {"sqlite": (12, 16), "postgresql": (10, 14)}[engine.dialect.name]
        assert nexts <= budget[0]
        assert len(seen) <= budget[1], "\n".join(seen)


class TestHistory:
    def test_history_lists_verdicts_newest_first(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        post_form(c, "/review/next")
        post_form(c, f"/review/{world[0]}/judge", {"verdict": "tie", "comment": "hmm", "flagged": "true"})
        post_form(c, f"/review/{world[1]}/judge", {"verdict": "not_a_pair"})
        rows = BeautifulSoup(c.get("/review/history").text, "html.parser").select("tbody tr")
        cells = [[td.get_text(strip=True) for td in row.select("td")][1:6] for row in rows]
        assert cells == [
            [f"#{world[1]}", "not a pair", "", "", ""],
            [f"#{world[0]}", "equal", "", "⚑", "hmm"],
        ]
