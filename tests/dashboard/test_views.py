"""GET /admin: counts, recent batches and jobs, and the SVG charts with the right numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from app.dashboard import queries
from app.db import session_scope
from app.jobs.models import Job, JobStatus
from app.models_base import utcnow
from app.patterns.service import seed_defaults
from tests.page_helpers import attr, judge, one, pairs, soup
from tests.web_helpers import make_user

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")

# Five minutes after midnight UTC: "now" and "five minutes ago" fall on different days, the case that made this
# test fail every night when it read the real clock. The page reads this frozen clock.
FROZEN = datetime(2026, 12, 5, 0, 2, tzinfo=UTC)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr("app.dashboard.views.utcnow", lambda: FROZEN)
    return FROZEN


def _bars(html: str, chart: str) -> dict[str, str]:
    svg = soup(html).select_one(f'svg[data-chart="{chart}"]')
    assert svg is not None, f"no {chart} chart"
    return {attr(rect, "data-label"): attr(rect, "data-value") for rect in svg.select("rect")}


def _world(engine: Engine, now: datetime) -> dict[str, int]:
    """6 pairs (3 candidate, 2 accepted, 1 not a pair); judgments by two reviewers with known times."""
    with session_scope(engine) as session:
        seed_defaults(session)
    ids = pairs(engine, 3) + pairs(engine, 2, status="accepted") + pairs(engine, 1, status="not_a_pair")
    alice = make_user(engine, "alice")
    bob = make_user(engine, "bob")
    judge(engine, pair_id=ids[0], reviewer_id=alice, verdict="first", first=["tradeoffs"],
          second=["testing"], seconds=10, at=now)  # fmt: skip
    judge(engine, pair_id=ids[1], reviewer_id=alice, verdict="second", first=["tradeoffs"],
          second=["tradeoffs", "testing"], seconds=40, at=now - timedelta(minutes=5))  # fmt: skip
    judge(engine, pair_id=ids[2], reviewer_id=alice, verdict="tie", first=["tradeoffs"], seconds=20,
          at=now - timedelta(days=3))  # fmt: skip
    judge(engine, pair_id=ids[0], reviewer_id=bob, verdict="second", seconds=5, at=now - timedelta(days=3))
    judge(
        engine, pair_id=ids[1], reviewer_id=bob, verdict="not_a_pair", seconds=15, at=now - timedelta(days=40)
    )
    return {"alice": alice, "bob": bob}


class TestOverview:
    def test_counts_and_charts_show_the_seeded_numbers(
        self, engine: Engine, admin: TestClient, frozen_clock: datetime
    ) -> None:
        _world(engine, frozen_clock)
        response = admin.get("/admin")
        assert response.status_code == 200
        page = soup(response.text)
        counts = {el["data-count"]: el.text for el in page.select("[data-count]")}
        assert counts["conversations"] == "6"
        assert counts["pairs"] == "6"
        assert (counts["candidate"], counts["accepted"], counts["not_a_pair"], counts["conflict"]) == (
            "3",
            "2",
            "1",
            "0",
        )
        assert counts["judged_30d"] == "4"
        assert _bars(response.text, "status") == {
            "candidate": "3", "accepted": "2", "tie": "0", "not a pair": "1", "conflict": "0", "linked": "0",
        }  # fmt: skip
        days = _bars(response.text, "per-day")
        assert len(days) == 30
        assert (days["12-05"], days["12-04"], days["12-02"]) == ("1", "1", "2")
        assert sum(int(v) for v in days.values()) == 4
        assert _bars(response.text, "reviewers") == {
            "alice": "3",
            "bob": "1",
        }  # bob's other one is 40 days old
        reviewer_text = one(soup(response.text), 'svg[data-chart="reviewers"]').get_text(" ")
        assert "3 · 20 s" in reviewer_text  # median of 10, 20, 40
        assert "1 · 5.0 s" in reviewer_text
        assert _bars(response.text, "patterns") == {
            "Tradeoffs (chosen)": "2", "Tradeoffs (rejected)": "1",
            "Testing (chosen)": "1", "Testing (rejected)": "1",
        }  # fmt: skip

    def test_charts_have_no_inline_style_or_script(self, engine: Engine, admin: TestClient) -> None:
        _world(engine, utcnow())
        page = soup(admin.get("/admin").text)
        assert page.select("svg.chart")
        assert page.select("[style]") == []
        assert [s for s in page.select("script") if not s.get("src")] == []

    def test_empty_database_shows_empty_charts_and_hints(self, engine: Engine, admin: TestClient) -> None:
        response = admin.get("/admin")
        assert response.status_code == 200
        assert "Nothing imported yet" in response.text
        assert soup(response.text).select('[data-chart-empty="status"]')

    def test_recent_jobs_are_listed_with_links(self, engine: Engine, admin: TestClient) -> None:
        with session_scope(engine) as session:
            job = Job(kind="import", status=JobStatus.failed, error="boom")
            session.add(job)
            session.flush()
            job_id = job.id
        page = soup(admin.get("/admin").text)
        assert [a["href"] for a in page.select('a[href^="/admin/jobs/"]')] == [f"/admin/jobs/{job_id}"]

    def test_anonymous_is_sent_to_login(self, anonymous: TestClient) -> None:
        response = anonymous.get("/admin")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/admin"

    def test_reviewer_is_refused(self, reviewer: TestClient) -> None:
        assert reviewer.get("/admin").status_code == 403


class TestQueries:
    def test_medians_with_odd_and_even_counts_and_missing_times(self, engine: Engine) -> None:
        ids = pairs(engine, 4)
        odd = make_user(engine, "odd")
        even = make_user(engine, "even")
        for pair_id, seconds in zip(ids, (9, 1, 5), strict=False):
            judge(engine, pair_id=pair_id, reviewer_id=odd, verdict="tie", seconds=seconds)
        for pair_id, spent in zip(ids, (4, 2, 8, None), strict=True):
            judge(engine, pair_id=pair_id, reviewer_id=even, verdict="tie", seconds=spent)
        with session_scope(engine, read_only=True) as session:
            rows = queries.reviewer_throughput(session, since=utcnow() - timedelta(days=1))
        assert [(r.username, r.judgments, r.median_seconds) for r in rows] == [
            ("even", 4, 4.0),
            ("odd", 3, 5.0),
        ]

    def test_throughput_counts_only_the_window_and_medians_to_a_tenth(self, engine: Engine) -> None:
        ids = pairs(engine, 4)
        uid = make_user(engine, "rr")
        now = utcnow()
        for pair_id, seconds, age in zip(ids, (1.25, 2.5, 100.0, 3.75), (0, 0, 10, 0), strict=True):
            judge(
                engine,
                pair_id=pair_id,
                reviewer_id=uid,
                verdict="tie",
                seconds=seconds,
                at=now - timedelta(days=age),
            )
        with session_scope(engine, read_only=True) as session:
            [row] = queries.reviewer_throughput(session, since=now - timedelta(days=1))
            assert queries.reviewer_throughput(session, since=now + timedelta(days=1)) == []
        assert row.judgments == 3
        assert row.median_seconds == pytest.approx(2.5)

    def test_judged_per_day_fills_missing_days_with_zero(self, engine: Engine) -> None:
        ids = pairs(engine, 3)
        uid = make_user(engine, "rr")
        now = utcnow()
        for pair_id, days in zip(ids, (0, 29, 30), strict=True):
            judge(engine, pair_id=pair_id, reviewer_id=uid, verdict="tie", at=now - timedelta(days=days))
        with session_scope(engine, read_only=True) as session:
            series = queries.judged_per_day(session, today=now.date())
        assert len(series) == 30
        assert series[0] == (now.date() - timedelta(days=29), 1)
        assert series[-1] == (now.date(), 1)
        assert sum(n for _, n in series) == 2

    def test_pattern_frequency_follows_the_verdict(self, engine: Engine) -> None:
        ids = pairs(engine, 2)
        uid = make_user(engine, "rr")
        judge(engine, pair_id=ids[0], reviewer_id=uid, verdict="first", first=["a", "b"], second=["c"])
        judge(engine, pair_id=ids[1], reviewer_id=uid, verdict="not_a_pair", first=["a"], second=["a"])
        with session_scope(engine, read_only=True) as session:
            rows = queries.pattern_frequency(session)
        assert [(p.slug, p.chosen, p.rejected) for p in rows] == [("a", 1, 0), ("b", 1, 0), ("c", 0, 1)]
