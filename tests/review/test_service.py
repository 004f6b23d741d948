"""Judgments: verdict -> status and orientation, validation, undo, stale edits (R3), stats, the export view."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import BackgroundTasks
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from app.db import session_scope
from app.errors import ConflictError, NotFoundError, ValidationFailedError
from app.jobs.models import Job
from app.models_base import utcnow
from app.pairs import learning_service as ls
from app.pairs.models import Pair, PairStatus
from app.pairs.service import IMPORTED_DETECTOR
from app.review.models import Assignment, Judgment, Verdict
from app.review.service import JudgmentInput, edit_judgment, submit, undo_last
from app.review.stats import ReviewerStats, reviewer_numbers
from app.settings.service import get_value, set_value
from tests.web_helpers import add_pair, get_user, make_user

pytestmark = pytest.mark.usefixtures("fast_passwords")
FIRST, SECOND = "Use URI versioning.", "Let me weigh URI, header and media-type versioning: ..."


def _pair(engine: Engine, **kw: Any) -> int:
    with session_scope(engine) as session:
        return add_pair(session, **kw).id or 0


def _submit(engine: Engine, username: str, pair_id: int, **kw: Any) -> Judgment:
    with session_scope(engine) as session:
        return submit(
            session, reviewer=get_user(session, username), pair_id=pair_id, data=JudgmentInput(**kw)
        )


@pytest.fixture
def rev(engine: Engine) -> str:
    from app.patterns.service import seed_defaults

    with session_scope(engine) as session:
        seed_defaults(session)
    make_user(engine, "rev")
    return "rev"


class TestVerdictToStatus:
    @pytest.mark.parametrize(
        ("verdict", "status", "swapped"),
        [(Verdict.second, "accepted", False), (Verdict.first, "accepted", True),
         (Verdict.tie, "tie", False), (Verdict.not_a_pair, "not_a_pair", False)],
    )  # fmt: skip
    def test_mapping(self, engine: Engine, rev: str, verdict: Verdict, status: str, swapped: bool) -> None:
        pair_id = _pair(engine)
        _submit(engine, rev, pair_id, verdict=verdict)
        with session_scope(engine, read_only=True) as session:
            pair = session.get_one(Pair, pair_id)
            assert (pair.status, pair.swapped, pair.version) == (status, swapped, 2)

    def test_the_pair_loaded_in_the_verdicts_session_reads_what_it_wrote(
        self, engine: Engine, rev: str
    ) -> None:
        """The status is written with bound values, past the ORM's copy of the pair: that copy must not keep
        the old status and version (a later change to the pair would be refused as stale)."""
        pair_id = _pair(engine)
        with session_scope(engine) as session:
            pair = session.get_one(Pair, pair_id)
            assert (pair.status, pair.version) == ("candidate", 1)
            submit(
                session, reviewer=get_user(session, rev), pair_id=pair_id, data=JudgmentInput(Verdict.first)
            )
            assert (pair.status, pair.swapped, pair.version) == ("accepted", True, 2)
            pair.linked_to_id = None
            session.add(pair)
            session.flush()

    def test_first_better_makes_the_first_answer_chosen(self, engine: Engine, rev: str) -> None:
        pair_id = _pair(engine)
        _submit(engine, rev, pair_id, verdict=Verdict.first)
        with session_scope(engine, read_only=True) as session:
            pair = session.get_one(Pair, pair_id)
            assert pair.chosen_turn_id == pair.first_turn_id
            assert pair.rejected_turn_id == pair.second_turn_id

    def test_patterns_are_stored_per_side_sorted_and_unique(self, engine: Engine, rev: str) -> None:
        pair_id = _pair(engine)
        judgment = _submit(engine, rev, pair_id, verdict=Verdict.second, patterns_first=["testing"],
                           patterns_second=["tradeoffs", "assumptions", "tradeoffs"])  # fmt: skip
        assert judgment.patterns_first == ["testing"]
        assert judgment.patterns_second == ["assumptions", "tradeoffs"]
        assert judgment.taxonomy_version_id is not None

    @pytest.mark.parametrize("overlap", [2, 3])
    @pytest.mark.parametrize(
        "verdicts",
        [(Verdict.first, Verdict.first, Verdict.first), (Verdict.second, Verdict.tie, Verdict.tie),
         (Verdict.not_a_pair, Verdict.not_a_pair, Verdict.second), (Verdict.tie, Verdict.tie, Verdict.tie)],
    )  # fmt: skip
    def test_each_verdict_writes_the_status_its_judgments_decide(
        self, engine: Engine, rev: str, overlap: int, verdicts: tuple[Verdict, ...]
    ) -> None:
        """A verdict decides the status from the counts it read before its judgment (one statement fewer);
        after each, the stored status is what recounting every judgment gives (`refresh_status`)."""
        from app.review.service import refresh_status

        with session_scope(engine) as session:
            set_value(session, key="overlap", value=overlap)
        pair_id = _pair(engine)
        for i, verdict in enumerate(verdicts[:overlap]):
            make_user(engine, f"judge{i}")
            _submit(engine, f"judge{i}", pair_id, verdict=verdict)
            with session_scope(engine) as session:
                pair = session.get_one(Pair, pair_id)
                written = (pair.status, pair.swapped)
                recounted = refresh_status(session, pair_id=pair_id)
                session.refresh(pair)
                assert written == (recounted, pair.swapped)
        assert written[0] != "candidate"


class TestTrainingTrigger:
    """A verdict from the screen reads the scorer's training rule with its room check, adds its own label, and
    queues a training exactly when `training_due` (which recounts everything) turns true."""

    @staticmethod
    def _labels(engine: Engine, *, real: int, not_real: int) -> None:
        with session_scope(engine) as session:
            for _ in range(real):
                add_pair(session, status=PairStatus.accepted)
            for _ in range(not_real):
                add_pair(session, status=PairStatus.not_a_pair)

    @staticmethod
    def _verdict(engine: Engine, username: str, pair_id: int, verdict: Verdict) -> tuple[int, bool]:
        """Submit with the request's background tasks: (training jobs queued by it, `training_due` after)."""
        background = BackgroundTasks()
        with session_scope(engine) as session:
            submit(session, reviewer=get_user(session, username), pair_id=pair_id,
                   data=JudgmentInput(verdict), background=background)  # fmt: skip
            return len(background.tasks), ls.training_due(session)

    def test_the_verdict_that_makes_the_first_model_due_queues_its_training(
        self, engine: Engine, rev: str
    ) -> None:
        self._labels(engine, real=ls.MIN_LABELS - ls.MIN_PER_CLASS - 2, not_real=ls.MIN_PER_CLASS)
        first, second, third = _pair(engine), _pair(engine), _pair(engine)
        assert self._verdict(engine, rev, first, Verdict.second) == (0, False)  # one label short
        assert self._verdict(engine, rev, second, Verdict.not_a_pair) == (1, True)
        assert self._verdict(engine, rev, third, Verdict.tie) == (0, True)  # one is queued already
        with session_scope(engine, read_only=True) as session:
            assert [job.kind for job in session.scalars(select(Job))] == [ls.TRAIN_JOB]

    def test_an_imported_pair_is_no_label(self, engine: Engine, rev: str) -> None:
        self._labels(engine, real=ls.MIN_LABELS - ls.MIN_PER_CLASS - 1, not_real=ls.MIN_PER_CLASS)
        imported = _pair(engine)
        with session_scope(engine) as session:
            session.get_one(Pair, imported).detector = IMPORTED_DETECTOR
        assert self._verdict(engine, rev, imported, Verdict.second) == (0, False)
        assert self._verdict(engine, rev, _pair(engine), Verdict.second) == (1, True)

    def test_a_verdict_that_leaves_the_pair_open_is_no_label(self, engine: Engine, rev: str) -> None:
        self._labels(engine, real=ls.MIN_LABELS - ls.MIN_PER_CLASS - 1, not_real=ls.MIN_PER_CLASS)
        with session_scope(engine) as session:
            set_value(session, key="overlap", value=2)
        pair_id = _pair(engine)
        assert self._verdict(engine, rev, pair_id, Verdict.second) == (0, False)
        make_user(engine, "second")
        assert self._verdict(engine, "second", pair_id, Verdict.second) == (1, True)

    def test_a_retraining_is_due_after_enough_verdicts_since_the_model(
        self, engine: Engine, rev: str
    ) -> None:
        self._labels(engine, real=30, not_real=30)
        with session_scope(engine) as session:
            ls.train(session, user_id=None)
        pairs = [_pair(engine) for _ in range(ls.RETRAIN_AFTER)]
        for pair_id in pairs[:-1]:
            assert self._verdict(engine, rev, pair_id, Verdict.not_a_pair) == (0, False)
        assert self._verdict(engine, rev, pairs[-1], Verdict.first) == (1, True)


class TestValidation:
    def test_unknown_pattern(self, engine: Engine, rev: str) -> None:
        with pytest.raises(ValidationFailedError, match="unknown patterns: made-up"):
            _submit(engine, rev, _pair(engine), verdict=Verdict.second, patterns_first=["made-up"])

    @pytest.mark.parametrize("verdict", [Verdict.tie, Verdict.not_a_pair])
    def test_gold_edit_needs_a_preferred_answer(self, engine: Engine, rev: str, verdict: Verdict) -> None:
        with pytest.raises(
            ValidationFailedError, match="a gold edit needs a verdict that prefers one answer"
        ):
            _submit(engine, rev, _pair(engine), verdict=verdict, edited_text="better")

    def test_empty_gold_edit(self, engine: Engine, rev: str) -> None:
        with pytest.raises(ValidationFailedError, match="the edited answer is empty"):
            _submit(engine, rev, _pair(engine), verdict=Verdict.second, edited_text="  \n")

    def test_missing_pair(self, engine: Engine, rev: str) -> None:
        with pytest.raises(NotFoundError, match="pair 424242 does not exist"):
            _submit(engine, rev, 424242, verdict=Verdict.second)

    def test_twice_is_a_conflict(self, engine: Engine, rev: str, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.config import get_settings

        monkeypatch.setenv("PAIRWISE_OVERLAP", "2")
        get_settings.cache_clear()
        pair_id = _pair(engine)
        _submit(engine, rev, pair_id, verdict=Verdict.second)
        with pytest.raises(ConflictError, match="You already judged this pair; press u to undo"):
            _submit(engine, rev, pair_id, verdict=Verdict.first)

    def test_a_decided_pair_takes_no_more(self, engine: Engine, rev: str) -> None:
        make_user(engine, "rev2")
        pair_id = _pair(engine)
        _submit(engine, rev, pair_id, verdict=Verdict.tie)
        with pytest.raises(ConflictError, match=r"This pair is already decided \(tie\)"):
            _submit(engine, "rev2", pair_id, verdict=Verdict.second)


class TestUndo:
    def test_undo_removes_the_judgment_and_leases_the_pair_back(self, engine: Engine, rev: str) -> None:
        pair_id = _pair(engine)
        judgment = _submit(engine, rev, pair_id, verdict=Verdict.first)
        with session_scope(engine) as session:
            assert undo_last(session, reviewer=get_user(session, rev)) == pair_id
        with session_scope(engine, read_only=True) as session:
            pair = session.get_one(Pair, pair_id)
            assert (pair.status, pair.swapped) == ("candidate", False)
            assert session.execute(select(Judgment)).first() is None
            lease = session.execute(select(Assignment)).scalar_one()
            assert (lease.pair_id, lease.left_side) == (pair_id, judgment.left_side)
            assert lease.expires_at > utcnow()

    def test_undo_takes_the_latest_first(self, engine: Engine, rev: str) -> None:
        older, newer = _pair(engine), _pair(engine)
        _submit(engine, rev, older, verdict=Verdict.second)
        _submit(engine, rev, newer, verdict=Verdict.second)
        with session_scope(engine) as session:
            reviewer = get_user(session, rev)
            assert undo_last(session, reviewer=reviewer) == newer
        with session_scope(engine) as session:
            assert undo_last(session, reviewer=get_user(session, rev)) == older
        with session_scope(engine) as session:
            assert undo_last(session, reviewer=get_user(session, rev)) is None

    def test_undo_does_not_reach_past_an_hour(self, engine: Engine, rev: str) -> None:
        pair_id = _pair(engine)
        _submit(engine, rev, pair_id, verdict=Verdict.second)
        with session_scope(engine) as session:
            judgment = session.execute(select(Judgment)).scalar_one()
            judgment.created_at = utcnow() - timedelta(hours=2)
            session.add(judgment)
        with session_scope(engine) as session:
            assert undo_last(session, reviewer=get_user(session, rev)) is None

    def test_undo_never_touches_someone_elses_judgment(self, engine: Engine, rev: str) -> None:
        make_user(engine, "rev2")
        _submit(engine, "rev2", _pair(engine), verdict=Verdict.second)
        with session_scope(engine) as session:
            assert undo_last(session, reviewer=get_user(session, rev)) is None


class TestStaleEdit:
    def test_two_tabs_with_the_same_version(self, engine: Engine, rev: str) -> None:
        judgment = _submit(engine, rev, _pair(engine), verdict=Verdict.second)
        with session_scope(engine) as session:
            edited = edit_judgment(session, reviewer=get_user(session, rev), judgment_id=judgment.id or 0, version=1,
                                   edited_text="Tab one gold", comment="one", flagged=False)  # fmt: skip
            assert edited.version == 2
        stale = pytest.raises(ConflictError, match="changed in another tab or window after you opened it")
        with stale, session_scope(engine) as session:
            edit_judgment(session, reviewer=get_user(session, rev), judgment_id=judgment.id or 0, version=1,
                              edited_text="Tab two gold", comment="two", flagged=True)  # fmt: skip
        with session_scope(engine, read_only=True) as session:
            stored = session.get_one(Judgment, judgment.id)
            assert (stored.edited_text, stored.comment, stored.flagged, stored.version) == (
                "Tab one gold",
                "one",
                False,
                2,
            )

    def test_editing_someone_elses_judgment_is_not_found(self, engine: Engine, rev: str) -> None:
        make_user(engine, "rev2")
        judgment = _submit(engine, "rev2", _pair(engine), verdict=Verdict.second)
        with pytest.raises(NotFoundError), session_scope(engine) as session:
            edit_judgment(session, reviewer=get_user(session, rev), judgment_id=judgment.id or 0, version=1,
                          edited_text=None, comment="mine", flagged=False)  # fmt: skip


class TestStats:
    def _judgment_at(self, engine: Engine, username: str, when: datetime, seconds: float | None) -> None:
        with session_scope(engine) as session:
            pair = add_pair(session)
            session.add(Judgment(pair_id=pair.id or 0, reviewer_id=get_user(session, username).id or 0,
                                 verdict="second", left_side="first", created_at=when, updated_at=when,
                                 seconds_spent=seconds))  # fmt: skip

    def test_today_streak_and_median(self, engine: Engine, rev: str) -> None:
        now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
        for days, seconds in [(0, 10.0), (0, 30.0), (0, 20.0), (1, 50.0), (2, None), (4, 7.0), (9, 1000.0)]:
            self._judgment_at(engine, rev, now - timedelta(days=days), seconds)
        with session_scope(engine, read_only=True) as session:
            stats = reviewer_numbers(session, reviewer=get_user(session, rev), now=now)[0]
        assert (stats.judged_today, stats.streak_days, stats.median_seconds) == (3, 3, 20.0)

    def _stats_far_from_utc(self, engine: Engine, rev: str, now: datetime) -> ReviewerStats:
        """The numbers read with PostgreSQL's session at UTC+14 (noon UTC is tomorrow there)."""
        from sqlalchemy import text

        with session_scope(engine, read_only=True) as session:
            if engine.dialect.name == "postgresql":
                session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
            return reviewer_numbers(session, reviewer=get_user(session, rev), now=now)[0]

    def test_days_are_utc_days_whatever_the_database_time_zone(self, engine: Engine, rev: str) -> None:
        """The streak goes on before the past week (walked back day by day): those are UTC days too."""
        now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
        for days in (0, 1, 2, 8, 9, 10):
            self._judgment_at(engine, rev, now - timedelta(days=days), 5.0)
        stats = self._stats_far_from_utc(engine, rev, now)
        assert (stats.judged_today, stats.streak_days) == (1, 3)
        for days in range(3, 8):
            self._judgment_at(engine, rev, now - timedelta(days=days), None)
        stats = self._stats_far_from_utc(engine, rev, now)
        assert (stats.streak_days, stats.median_seconds) == (11, 5.0)

    def test_the_walk_before_the_week_counts_whole_utc_days(self, engine: Engine, rev: str) -> None:
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        now = midnight + timedelta(hours=12)
        for days in range(7):  # the whole past week, today included
            self._judgment_at(engine, rev, now - timedelta(days=days), 5.0)
        # Day 7 just after its midnight, day 8 just before its end, nothing on day 9, day 10 again.
        for when in (timedelta(days=-7, minutes=1), timedelta(days=-7, minutes=-1), timedelta(days=-10)):
            self._judgment_at(engine, rev, midnight + when, None)
        assert self._stats_far_from_utc(engine, rev, now).streak_days == 9
        # Day 9 at its very end: the gap closes.
        self._judgment_at(engine, rev, midnight - timedelta(days=8, minutes=1), None)
        assert self._stats_far_from_utc(engine, rev, now).streak_days == 11

    def test_the_streak_shown_stops_at_the_lookback(
        self, engine: Engine, rev: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.review import stats as stats_module

        monkeypatch.setattr(stats_module, "STREAK_LOOKBACK_DAYS", 10)
        now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
        for days in range(14):
            self._judgment_at(engine, rev, now - timedelta(days=days), 5.0)
        assert self._stats_far_from_utc(engine, rev, now).streak_days == 10

    def test_the_walk_probes_the_reviewers_index(self, engine: Engine, rev: str) -> None:
        """Each earlier day of a streak costs one probe of ix_judgment_reviewer_created, never a scan of the
        reviewer's (or everyone's) judgments."""
        from sqlalchemy import text

        from app.review.stats import _WALK

        self._judgment_at(engine, rev, utcnow(), 5.0)
        with session_scope(engine) as session:
            today = utcnow().date()
            params = {"start": today.isoformat(), "most": 366, "reviewer": get_user(session, rev).id}
            if engine.dialect.name == "postgresql":
                session.execute(
                    text("SET LOCAL enable_seqscan = off")
                )  # a handful of rows: it would scan them
                walk, explain, params["start"] = _WALK["postgresql"], "EXPLAIN ", today
            else:
                walk, explain = _WALK["sqlite"], "EXPLAIN QUERY PLAN "
            plan = "\n".join(str(row) for row in session.execute(text(explain + walk.text), params))
        assert "ix_judgment_reviewer_created" in plan, plan

    def test_streak_counts_from_yesterday_when_nothing_today(self, engine: Engine, rev: str) -> None:
        now = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
        for days in (1, 2):
            self._judgment_at(engine, rev, now - timedelta(days=days), 5.0)
        with session_scope(engine, read_only=True) as session:
            stats = reviewer_numbers(session, reviewer=get_user(session, rev), now=now)[0]
        assert (stats.judged_today, stats.streak_days, stats.median_seconds) == (0, 2, 5.0)

    def test_no_judgments(self, engine: Engine, rev: str) -> None:
        with session_scope(engine, read_only=True) as session:
            stats = reviewer_numbers(session, reviewer=get_user(session, rev))[0]
        assert (stats.judged_today, stats.streak_days, stats.median_seconds) == (0, 0, None)

    def test_the_pairs_left_come_with_the_weeks_judgments_in_one_statement(
        self, engine: Engine, rev: str
    ) -> None:
        """The count of pairs left rides on the week's rows; without a judgment this week it is asked alone.
        Either way it is what `queue.remaining` counts."""
        from app.review import queue
        from tests.sql_helpers import statements

        open_pairs = [_pair(engine) for _ in range(3)]
        with session_scope(engine) as session, statements(engine) as seen:
            reviewer = get_user(session, rev)
            left = reviewer_numbers(session, reviewer=reviewer)[1]
            alone = len(seen)
            assert left == queue.remaining(session, reviewer=reviewer) == 3
        _submit(engine, rev, open_pairs[0], verdict=Verdict.tie)
        with session_scope(engine) as session, statements(engine) as seen:
            reviewer = get_user(session, rev)
            stats, left = reviewer_numbers(session, reviewer=reviewer)
            together = len(seen)
            assert left == queue.remaining(session, reviewer=reviewer) == 2
        assert stats.judged_today == 1
        assert together == alone - 1

    def test_seconds_spent_is_measured_from_the_lease(self, engine: Engine, rev: str) -> None:
        from app.review import queue

        pair_id = _pair(engine)
        with session_scope(engine) as session:
            queue.lease_next(session, reviewer=get_user(session, rev))
        with session_scope(engine) as session:
            lease = session.execute(select(Assignment)).scalar_one()
            lease.leased_at = utcnow() - timedelta(seconds=42)
            session.add(lease)
        judgment = _submit(engine, rev, pair_id, verdict=Verdict.second)
        assert judgment.seconds_spent is not None
        assert 42 <= judgment.seconds_spent < 50


class TestRuntimeSettings:
    @pytest.mark.parametrize(
        ("key", "value"), [("overlap", 2), ("detection_threshold", 0.7), ("lease_minutes", 3)]
    )
    def test_a_stored_setting_reads_back(self, engine: Engine, key: str, value: object) -> None:
        with session_scope(engine) as session:
            set_value(session, key=key, value=value)
        with session_scope(engine, read_only=True) as session:
            assert get_value(session, key=key) == value


class TestAcceptedExport:
    def test_pairs_list_jsonl_gives_the_preferred_answer_and_gold(self, engine: Engine, rev: str) -> None:
        from app.cli import cli

        confirmed, swapped, gold = _pair(engine), _pair(engine), _pair(engine)
        _pair(engine)  # still a candidate: not listed
        _submit(engine, rev, confirmed, verdict=Verdict.second)
        _submit(engine, rev, swapped, verdict=Verdict.first)
        _submit(engine, rev, gold, verdict=Verdict.first, edited_text="Gold: URI versioning, because ...")
        result = CliRunner().invoke(cli, ["pairs", "list", "--status", "accepted", "--format", "jsonl"])
        assert result.exit_code == 0, result.output
        rows = {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}
        assert sorted(rows) == [confirmed, swapped, gold]
        assert (rows[confirmed]["chosen"], rows[confirmed]["rejected"]) == (SECOND, FIRST)
        assert (rows[swapped]["chosen"], rows[swapped]["rejected"]) == (FIRST, SECOND)
        assert rows[swapped]["gold_edited"] is False
        assert rows[gold]["chosen"] == "Gold: URI versioning, because ..."
        assert (rows[gold]["chosen_original"], rows[gold]["rejected"]) == (FIRST, SECOND)
        assert rows[gold]["gold_edited"] is True
        assert all(r["status"] == "accepted" for r in rows.values())
