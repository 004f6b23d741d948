"""Screen verdicts carry the token of the page they were made on and come no sooner than the minimum delay."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col
from starlette.testclient import TestClient

from app.db import session_scope
from app.pairs.models import Pair, PairStatus
from app.review.models import Assignment
from app.review.summary import queue_summary
from app.settings.service import set_value
from tests.web_helpers import add_pair, get_user, judgments_of, make_user, post_form, seed_samples, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")
PAIR_RE = re.compile(r'data-pair-id="(\d+)"')
TOKEN_RE = re.compile(r'name="token" value="([^"]*)"')


@pytest.fixture
def world(engine: Engine) -> list[int]:
    pairs = seed_samples(engine)
    make_user(engine, "rev")
    make_user(engine, "rev2")
    return pairs


def _served(c: TestClient) -> tuple[int, str]:
    html = post_form(c, "/review/next", htmx=True).text
    pair, token = PAIR_RE.search(html), TOKEN_RE.search(html)
    assert pair is not None
    assert token is not None
    return int(pair.group(1)), token.group(1)


class TestToken:
    def test_a_verdict_without_the_current_token_is_refused_and_not_stored(
        self, engine: Engine, world: list[int]
    ) -> None:
        c = signed_in("rev")
        pair, token = _served(c)
        response = post_form(c, f"/review/{pair}/judge", {"verdict": "tie", "token": "stale"}, htmx=True)
        assert response.status_code == 409
        assert "not saved" in response.text
        assert judgments_of(engine, "rev") == []
        ok = post_form(c, f"/review/{pair}/judge", {"verdict": "tie", "token": token}, htmx=True)
        assert ok.status_code == 200
        assert [j.pair_id for j in judgments_of(engine, "rev")] == [pair]

    def test_the_same_press_twice_stores_one_verdict_and_never_judges_the_next_pair(
        self, engine: Engine, world: list[int]
    ) -> None:
        c = signed_in("rev")
        pair, token = _served(c)
        first = post_form(c, f"/review/{pair}/judge", {"verdict": "tie", "token": token}, htmx=True)
        match = PAIR_RE.search(first.text)
        assert match is not None
        following = int(match.group(1))
        again = post_form(c, f"/review/{following}/judge", {"verdict": "tie", "token": token}, htmx=True)
        assert again.status_code == 409
        assert [j.pair_id for j in judgments_of(engine, "rev")] == [pair]

    def test_serving_again_makes_the_older_page_stale(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        pair, old = _served(c)
        same, new = _served(c)
        assert same == pair
        assert new != old
        assert (
            post_form(c, f"/review/{pair}/judge", {"verdict": "tie", "token": old}, htmx=True).status_code
            == 409
        )
        assert post_form(c, f"/review/{pair}/skip", {"token": old}, htmx=True).status_code == 409


class TestMinimumDelay:
    def test_a_verdict_sooner_than_the_minimum_is_refused_with_a_message(
        self, engine: Engine, world: list[int]
    ) -> None:
        with session_scope(engine) as session:
            set_value(session, key="review_min_ms", value=60_000)
        c = signed_in("rev")
        pair, token = _served(c)
        response = post_form(c, f"/review/{pair}/judge", {"verdict": "tie", "token": token}, htmx=True)
        assert response.status_code == 409
        assert "less than 60000 ms after the pair was shown" in response.text
        assert judgments_of(engine, "rev") == []
        with session_scope(engine) as session:
            set_value(session, key="review_min_ms", value=0)
        assert (
            post_form(c, f"/review/{pair}/judge", {"verdict": "tie", "token": token}, htmx=True).status_code
            == 200
        )

    def test_the_default_minimum_is_400_ms(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.config import Settings

        monkeypatch.delenv("PAIRWISE_REVIEW_MIN_MS")
        assert Settings().review_min_ms == 400


class TestUndoRestores:
    def test_undo_brings_back_tags_comment_flag_and_gold(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        pair, token = _served(c)
        form = {"verdict": "left", "token": token, "patterns_left": ["tradeoffs"], "comment": "fence changed",
                "flagged": "true", "edited_side": "left", "edited_text": "Gold text."}  # fmt: skip
        assert post_form(c, f"/review/{pair}/judge", form, htmx=True).status_code == 200
        html = post_form(c, "/review/undo", htmx=True).text
        assert f'data-pair-id="{pair}"' in html
        assert re.search(r'value="tradeoffs"[^>]*checked', html)
        assert 'name="flagged" value="true" data-key="f" checked' in html
        assert 'value="fence changed"' in html
        assert 'data-draft="1">Gold text.</textarea>' in html


class TestQueueSummary:
    def test_counts_explain_an_empty_queue(self, engine: Engine) -> None:
        make_user(engine, "rev")
        make_user(engine, "rev2")
        with session_scope(engine) as session:
            from app.patterns.service import seed_defaults

            seed_defaults(session)
            held = add_pair(session, score=0.9).id
            add_pair(session, score=0.8)
            add_pair(session, score=0.1)
            add_pair(session, score=0.7, status=PairStatus.accepted)
        other = signed_in("rev2")
        assert _served(other)[0] == held
        c = signed_in("rev")
        pair, token = _served(c)
        post_form(c, f"/review/{pair}/judge", {"verdict": "tie", "token": token}, htmx=True)
        html = post_form(c, "/review/next", htmx=True).text
        assert "The queue is empty for you" in html
        counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
        assert counts == {"judged": "2", "held": "1", "waiting": "0", "adjudication": "0", "below": "1"}
        assert 'data-stat="remaining">0<' in html
        with session_scope(engine, read_only=True) as session:
            summary = queue_summary(session, reviewer=get_user(session, "rev"))
            assert summary.held_until is not None

    def test_an_admin_opening_review_takes_no_lease(self, engine: Engine, world: list[int]) -> None:
        make_user(engine, "adm", role="admin")
        c = signed_in("adm")
        html = c.get("/review").text
        assert "Looking at this page takes no pair" in html
        with session_scope(engine, read_only=True) as session:
            uid = get_user(session, "adm").id
            assert (
                session.execute(select(Assignment).where(col(Assignment.reviewer_id) == uid)).first() is None
            )
            assert session.execute(select(Pair)).first() is not None
