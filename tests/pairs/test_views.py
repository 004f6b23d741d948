"""The pairs browser: filters, keyset pages, and a pair with its texts, judgments and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from app.conversations.models import Conversation
from app.db import session_scope
from app.models_base import utcnow
from app.pairs.leak_check import check_unchecked_pairs
from app.pairs.models import Pair
from app.patterns.service import current_version_id, seed_defaults
from app.settings.models import AuditEvent
from tests.page_helpers import ids_in, ids_on_every_page, judge, one, pairs, soup, text_of
from tests.web_helpers import add_pair, html_problems, make_user

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")


def pair(engine: Engine, *, source: str = "t", swapped: bool = False, **kw: Any) -> int:
    created_at = kw.pop("created_at", None)
    with session_scope(engine) as session:
        found = add_pair(session, **kw)
        found.swapped = swapped
        if created_at is not None:
            found.created_at = created_at
        conversation = session.get(Conversation, found.conversation_id)
        assert conversation is not None
        conversation.source = source
        session.add_all([found, conversation])
        assert found.id is not None
        return found.id


def listed(c: TestClient, query: str) -> list[int]:
    response = c.get(f"/admin/pairs?{query}")
    assert response.status_code == 200, response.text
    return ids_in(response.text)


class TestPairList:
    def test_keyset_pages_newest_first_without_gaps(self, engine: Engine, admin: TestClient) -> None:
        ids = pairs(engine, 110)
        seen = ids_on_every_page(admin, "/admin/pairs")
        assert seen == sorted(ids, reverse=True)

    def test_status_score_and_source_filters(self, engine: Engine, admin: TestClient) -> None:
        low = pair(engine, score=0.2)
        high = pair(engine, score=0.9, status="accepted")
        mid = pair(engine, score=0.5, source="other")
        assert listed(admin, "status=accepted") == [high]
        assert listed(admin, "min_score=0.5") == [mid, high]
        assert listed(admin, "max_score=0.5") == [mid, low]
        assert listed(admin, "min_score=0.3&max_score=0.6") == [mid]
        assert listed(admin, "source=other") == [mid]
        assert listed(admin, "status=&min_score=&max_score=&source=&pattern=&reviewer=") == [mid, high, low]

    @pytest.mark.parametrize("newer_rows", [0, 10**9], ids=["old source: sorted", "recent source: scanned"])
    def test_source_filter_pages_newest_first_on_either_plan(
        self, engine: Engine, admin: TestClient, monkeypatch: pytest.MonkeyPatch, newer_rows: int
    ) -> None:
        monkeypatch.setattr("app.pairs.views.OLD_SOURCE_NEWER_ROWS", newer_rows)
        old = [pair(engine, source="old") for _ in range(55)]
        newer = [pair(engine, source="new") for _ in range(3)]
        old.append(pair(engine, source="old"))  # a later pair of the old source (a re-detection, say)
        first = listed(admin, "source=old")
        assert first == sorted(old, reverse=True)[:50]
        assert listed(admin, f"source=old&after={first[-1]}") == sorted(old, reverse=True)[50:]
        assert listed(admin, "source=new") == newer[::-1]
        assert listed(admin, "source=nowhere") == []

    def test_pattern_filter_looks_at_the_chosen_answer(self, engine: Engine, admin: TestClient) -> None:
        with session_scope(engine) as session:
            seed_defaults(session)
        uid = make_user(engine, "alice")
        second_chosen = pair(engine)
        first_chosen = pair(engine, swapped=True)
        on_rejected = pair(engine)
        on_rejected_swapped = pair(engine, swapped=True)
        judge(engine, pair_id=second_chosen, reviewer_id=uid, verdict="second", second=["tradeoffs"])
        judge(engine, pair_id=first_chosen, reviewer_id=uid, verdict="first", first=["tradeoffs", "testing"])
        judge(engine, pair_id=on_rejected, reviewer_id=uid, verdict="second", first=["tradeoffs"])
        judge(engine, pair_id=on_rejected_swapped, reviewer_id=uid, verdict="first", second=["tradeoffs"])
        assert listed(admin, "pattern=tradeoffs") == [first_chosen, second_chosen]
        assert listed(admin, "pattern=testing") == [first_chosen]
        assert listed(admin, "pattern=security") == []

    def test_reviewer_and_date_filters(self, engine: Engine, admin: TestClient) -> None:
        alice = make_user(engine, "alice")
        bob = make_user(engine, "bob")
        old = pair(engine, created_at=datetime(2025, 12, 31, 23, 0, tzinfo=UTC))
        new = pair(engine, created_at=datetime(2026, 1, 1, 0, 30, tzinfo=UTC))
        judge(engine, pair_id=old, reviewer_id=alice, verdict="tie")
        judge(engine, pair_id=new, reviewer_id=bob, verdict="tie")
        judge(engine, pair_id=new, reviewer_id=alice, verdict="tie")
        assert listed(admin, "reviewer=alice") == [new, old]
        assert listed(admin, "reviewer=bob") == [new]
        assert listed(admin, "created_from=2026-01-01") == [new]
        assert listed(admin, "created_to=2025-12-31") == [old]
        assert listed(admin, "reviewer=bob&created_to=2025-12-31") == []

    @pytest.mark.parametrize(
        ("query", "words"),
        [
            ("status=maybe", "status: Input should be"),
            ("min_score=2", "min_score: Input should be less than or equal to 1"),
            ("min_score=0.8&max_score=0.2", "the minimum score is above the maximum score"),
            ("reviewer=nobody", "reviewer: there is no user named 'nobody'"),
            ("pattern=nothing", "pattern: there is no pattern 'nothing'"),
            ("swapped=1", "swapped: Extra inputs are not permitted"),
            ("created_to=2026-13-01", "created_to"),
        ],
    )
    def test_bad_filters_are_422_in_words(
        self, engine: Engine, admin: TestClient, query: str, words: str
    ) -> None:
        response = admin.get(f"/admin/pairs?{query}")
        assert response.status_code == 422
        assert words in text_of(response)

    def test_reviewer_is_refused(self, reviewer: TestClient) -> None:
        assert reviewer.get("/admin/pairs").status_code == 403

    def test_anonymous_goes_to_login(self, anonymous: TestClient) -> None:
        assert anonymous.get("/admin/pairs").headers["location"] == "/login?next=/admin/pairs"


class TestPairDetail:
    def test_texts_judgments_and_history(self, engine: Engine, admin: TestClient) -> None:
        with session_scope(engine) as session:
            seed_defaults(session)
            version = current_version_id(session)
        alice = make_user(engine, "alice")
        bob = make_user(engine, "bob")
        now = utcnow()
        pair_id = pair(engine, question="Q <b>here</b>", first="First answer", pushback="Wrong!",
                       second="Second answer", created_at=now - timedelta(hours=3))  # fmt: skip
        judge(engine, pair_id=pair_id, reviewer_id=alice, verdict="second", first=["testing"], second=["tradeoffs"],
              seconds=42, at=now - timedelta(hours=2), edited_text="Gold answer", edited_at=now - timedelta(hours=1),
              edited_by_id=alice, comment="nice <i>one</i>", flagged=True, taxonomy_version_id=version)  # fmt: skip
        judge(engine, pair_id=pair_id, reviewer_id=bob, verdict="first", at=now - timedelta(minutes=30))
        with session_scope(engine) as session:
            session.add(AuditEvent(user_id=bob, action="pair.adjudicated", object_type="pair", object_id=str(pair_id),
                                   created_at=now - timedelta(minutes=10)))  # fmt: skip
        response = admin.get(f"/admin/pairs/{pair_id}")
        assert response.status_code == 200
        page = soup(response.text)
        assert one(page, "section.prompt .md").get_text(strip=True) == "Q <b>here</b>"
        assert "First answer" in one(page, '[aria-label="Rejected answer"]').get_text()
        chosen = one(page, '[aria-label="Chosen answer"]')
        assert "Gold answer" in one(chosen, ".md").get_text()
        assert "(gold edit)" in chosen.get_text()
        assert "Wrong!" in one(page, "section.pushback").get_text()
        rows = [
            [td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in page.select("tr[data-judgment]")
        ]
        assert rows[0][:4] == ["alice", "second", "first", "testing / tradeoffs"]
        assert rows[0][4].startswith("yes")
        assert "Gold answer" in rows[0][4]
        assert rows[0][5:9] == ["nice <i>one</i>", "flagged", "42", f"v{version}"]
        assert rows[1][:2] == ["bob", "first"]
        history = [li.get_text(" ", strip=True) for li in page.select("ol.history li")]
        assert [h.split(" · ", 1)[1] for h in history] == [
            "detected by test with score 0.90",
            "alice preferred the revised answer",
            "alice edited the gold answer",
            "bob preferred the first answer (before the pushback)",
            "bob pair: adjudicated",
        ]
        assert html_problems(response.text) == []

    def test_leak_spans_and_standalone_preview(self, engine: Engine, admin: TestClient) -> None:
        pair_id = pair(engine, question="How do I paginate?", first="Use OFFSET.", pushback="Wrong, it has 50M rows.",
                       second="Good catch! Keyset pagination <b>stays</b> fast.")  # fmt: skip
        with session_scope(engine) as session:
            check_unchecked_pairs(session.connection())
        page = soup(admin.get(f"/admin/pairs/{pair_id}").text)
        leaks = one(page, "section.leaks")
        assert leaks["data-leak-kinds"] == "reply_to_feedback"
        assert [m.get_text() for m in leaks.select("mark.leak-reply_to_feedback")] == ["Good catch"]
        assert (
            one(leaks, "[data-standalone-preview] pre").get_text() == "Keyset pagination <b>stays</b> fast."
        )

    def test_unjudged_pair(self, engine: Engine, admin: TestClient) -> None:
        pair_id = pairs(engine, 1)[0]
        assert "Not judged yet." in text_of(admin.get(f"/admin/pairs/{pair_id}"))

    def test_unknown_pair_is_404(self, admin: TestClient) -> None:
        assert admin.get("/admin/pairs/999999").status_code == 404

    def test_bad_id_is_422(self, admin: TestClient) -> None:
        assert admin.get("/admin/pairs/one").status_code == 422

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        pair_id = pairs(engine, 1)[0]
        assert reviewer.get(f"/admin/pairs/{pair_id}").status_code == 403

    def test_pair_model_is_untouched_by_reading(self, engine: Engine, admin: TestClient) -> None:
        pair_id = pairs(engine, 1)[0]
        admin.get(f"/admin/pairs/{pair_id}")
        with session_scope(engine, read_only=True) as session:
            found = session.get(Pair, pair_id)
            assert found is not None
            assert found.version == 1
