"""Control pairs (app/review/controls.py): marking, serving at the control rate, answers kept apart, accuracy."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.db import session_scope
from app.errors import ConflictError, NotFoundError, ValidationFailedError
from app.evaluation.stats import wilson
from app.pairs.models import Pair, PairStatus
from app.review import controls, queue
from app.review.models import Assignment, ControlAnswer, ControlPair, Judgment, Verdict
from app.review.quality import review_quality
from app.review.service import JudgmentInput, submit, undo_last
from app.settings.models import AuditEvent
from tests.sql_helpers import statements
from tests.web_helpers import add_pair, count, get_user, make_user

pytestmark = pytest.mark.usefixtures("fast_passwords")


class Draws:
    """A stand-in for `queue.control_random`: returns the given draws in turn, then 0.99 (no control)."""

    def __init__(self, *draws: float) -> None:
        self.draws = list(draws)

    def random(self) -> float:
        return self.draws.pop(0) if self.draws else 0.99


@pytest.fixture
def people(engine: Engine) -> None:
    make_user(engine, "rev")
    make_user(engine, "rev2")
    make_user(engine, "adm", role="admin")


def candidates(engine: Engine, n: int) -> list[int]:
    with session_scope(engine) as session:
        return [add_pair(session, score=0.9 - i * 0.001).id or 0 for i in range(n)]


def judged(engine: Engine, status: PairStatus, *, swapped: bool = False) -> int:
    with session_scope(engine) as session:
        pair = add_pair(session, score=0.95, status=status)
        pair.swapped = swapped
        session.add(pair)
        session.flush()
        return pair.id or 0


def mark(engine: Engine, pair_id: int) -> ControlPair:
    with session_scope(engine) as session:
        return controls.mark(session, admin=get_user(session, "adm"), pair_id=pair_id)


def set_percent(engine: Engine, percent: int) -> None:
    with session_scope(engine) as session:
        controls.set_percent(session, admin=get_user(session, "adm"), percent=percent)


def lease(engine: Engine, username: str) -> Assignment | None:
    with session_scope(engine) as session:
        assignment = queue.lease_next(session, reviewer=get_user(session, username))
        if assignment is not None:
            session.expunge(assignment)
        return assignment


def served(engine: Engine, username: str) -> Assignment:
    held = lease(engine, username)
    assert held is not None
    return held


def answer(engine: Engine, username: str, verdict: Verdict) -> None:
    """Judge what `username` holds, the way the screen routes it (control answer or judgment)."""
    with session_scope(engine) as session:
        reviewer = get_user(session, username)
        held = queue.current_assignment(session, reviewer=reviewer)
        assert held is not None
        if held.control:
            controls.answer(session, reviewer=reviewer, assignment=held, verdict=verdict)
        else:
            submit(session, reviewer=reviewer, pair_id=held.pair_id, data=JudgmentInput(verdict=verdict))


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> Draws:
    stand_in = Draws()
    monkeypatch.setattr(queue, "control_random", stand_in)
    return stand_in


class TestMarking:
    @pytest.mark.parametrize(
        ("status", "swapped", "expected"),
        [
            (PairStatus.accepted, False, Verdict.second),
            (PairStatus.accepted, True, Verdict.first),
            (PairStatus.tie, False, Verdict.tie),
            (PairStatus.not_a_pair, False, Verdict.not_a_pair),
        ],
    )
    def test_the_expected_verdict_is_the_pair_s_final_one(
        self, engine: Engine, people: None, status: PairStatus, swapped: bool, expected: Verdict
    ) -> None:
        pair_id = judged(engine, status, swapped=swapped)
        assert mark(engine, pair_id).verdict == expected
        with session_scope(engine, read_only=True) as session:
            event = session.execute(
                select(AuditEvent).where(col(AuditEvent.action) == "pair.control_marked")
            ).scalar_one()
            assert (event.object_id, event.data) == (str(pair_id), {"verdict": expected.value})

    @pytest.mark.parametrize("status", [PairStatus.candidate, PairStatus.conflict, PairStatus.linked])
    def test_an_undecided_pair_cannot_be_a_control(
        self, engine: Engine, people: None, status: PairStatus
    ) -> None:
        pair_id = judged(engine, status)
        with pytest.raises(ConflictError):
            mark(engine, pair_id)
        assert count(engine, ControlPair) == 0

    def test_marking_twice_keeps_one_control_and_unknown_pairs_are_404(
        self, engine: Engine, people: None
    ) -> None:
        pair_id = judged(engine, PairStatus.tie)
        first = mark(engine, pair_id)
        assert mark(engine, pair_id).id == first.id
        assert count(engine, ControlPair) == 1
        with pytest.raises(NotFoundError):
            mark(engine, 999_999)

    def test_unmarking_stops_serving_and_drops_its_answers_from_accuracy(
        self, engine: Engine, people: None, draws: Draws
    ) -> None:
        set_percent(engine, 20)
        pair_id = judged(engine, PairStatus.tie)
        mark(engine, pair_id)
        draws.draws = [0.0]
        held = served(engine, "rev")
        assert held.pair_id == pair_id
        answer(engine, "rev", Verdict.tie)
        with session_scope(engine) as session:
            assert [(a.username, a.answered, a.correct) for a in controls.accuracy(session)] == [
                ("rev", 1, 1)
            ]
            controls.unmark(session, admin=get_user(session, "adm"), pair_id=pair_id)
        with session_scope(engine) as session:
            assert controls.accuracy(session) == []
            assert controls.list_controls(session) == []
            actions = session.execute(select(col(AuditEvent.action))).scalars().all()
            assert "pair.control_unmarked" in actions
            with pytest.raises(NotFoundError):
                controls.unmark(session, admin=get_user(session, "adm"), pair_id=pair_id)
        candidates(engine, 1)
        draws.draws = [0.0]
        held = served(engine, "rev2")
        assert held.pair_id != pair_id
        assert not held.control
        assert count(engine, ControlAnswer) == 1  # kept: marked again, it counts again

    def test_the_rate_is_a_whole_percent_from_0_to_20(self, engine: Engine, people: None) -> None:
        for bad in (-1, 21):
            with pytest.raises(ValidationFailedError), session_scope(engine) as session:
                controls.set_percent(session, admin=get_user(session, "adm"), percent=bad)
        set_percent(engine, 5)
        with session_scope(engine, read_only=True) as session:
            assert session.execute(
                select(col(AuditEvent.data)).where(col(AuditEvent.action) == "settings.update")
            ).scalar_one() == {"control_percent": 5}


class TestServing:
    def test_the_rate_decides_which_served_pairs_are_controls(
        self, engine: Engine, people: None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A seeded source: the served sequence is what the same seed's draws say, control by control."""
        open_ids = candidates(engine, 30)
        control_ids = [judged(engine, PairStatus.accepted) for _ in range(30)]
        for pair_id in control_ids:
            mark(engine, pair_id)
        set_percent(engine, 20)
        monkeypatch.setattr(queue, "control_random", random.Random(11))
        seeded = random.Random(11)
        expected = [seeded.random() * 100 < 20 for _ in range(30)]
        served = []
        for _ in range(30):
            held = lease(engine, "rev")
            assert held is not None
            served.append(held.control)
            assert (held.pair_id in control_ids) == held.control
            answer(engine, "rev", Verdict.second)
        assert served == expected
        assert 0 < sum(served) < 30
        assert not set(open_ids) & set(control_ids)

    def test_controls_are_never_served_twice_to_a_reviewer(
        self, engine: Engine, people: None, draws: Draws
    ) -> None:
        candidates(engine, 4)
        first, second = judged(engine, PairStatus.tie), judged(engine, PairStatus.not_a_pair)
        mark(engine, first)
        mark(engine, second)
        set_percent(engine, 20)
        draws.draws = [0.0] * 6
        seen = []
        for _ in range(4):
            held = lease(engine, "rev")
            assert held is not None
            seen.append((held.pair_id, held.control))
            answer(engine, "rev", Verdict.tie)
        # The two controls once each, oldest first; then the queue's own pairs though the draws say control.
        assert [s for s in seen if s[1]] == [(first, True), (second, True)]
        assert len({p for p, _ in seen}) == 4
        # Another reviewer still gets them.
        draws.draws = [0.0]
        held = served(engine, "rev2")
        assert (held.pair_id, held.control) == (first, True)

    def test_a_pair_the_reviewer_judged_or_skipped_is_not_served_as_a_control(
        self, engine: Engine, people: None, draws: Draws
    ) -> None:
        set_percent(engine, 20)
        candidates(engine, 2)
        skipped, judged_by_rev = judged(engine, PairStatus.tie), judged(engine, PairStatus.tie)
        with session_scope(engine) as session:
            rev = get_user(session, "rev")
            session.add(
                Judgment(pair_id=judged_by_rev, reviewer_id=rev.id or 0, verdict="tie", left_side="first")
            )
        mark(engine, skipped)
        mark(engine, judged_by_rev)
        draws.draws = [0.0]
        held = served(engine, "rev")
        assert held.pair_id == skipped
        with session_scope(engine) as session:
            queue.skip(session, reviewer=get_user(session, "rev"), pair_id=skipped)
        draws.draws = [0.0]
        assert not served(engine, "rev").control

    def test_a_control_reopened_by_an_undo_is_not_served_as_a_control(
        self, engine: Engine, people: None, draws: Draws
    ) -> None:
        set_percent(engine, 20)
        pair_id = judged(engine, PairStatus.tie)
        mark(engine, pair_id)
        with session_scope(engine) as session:
            session.get_one(Pair, pair_id).status = PairStatus.candidate
        draws.draws = [0.0]
        held = lease(engine, "rev")
        assert held is not None
        assert held.pair_id == pair_id
        assert not held.control

    def test_rate_zero_runs_no_statement_more(self, engine: Engine, people: None, draws: Draws) -> None:
        candidates(engine, 3)
        mark(engine, judged(engine, PairStatus.tie))
        draws.draws = [0.0]
        with statements(engine) as seen:
            assert lease(engine, "rev") is not None
        assert not any("control_pair" in sql for sql in seen)
        assert draws.draws == [0.0]  # never drawn either
        answer(engine, "rev", Verdict.tie)
        set_percent(engine, 20)
        draws.draws = [0.99]
        with statements(engine) as drawn_no:
            assert lease(engine, "rev") is not None
        assert not any("control_pair" in sql for sql in drawn_no)
        assert len(drawn_no) == len(seen)
        answer(engine, "rev", Verdict.tie)
        draws.draws = [0.0]
        with statements(engine) as control:
            held = lease(engine, "rev")
        assert held is not None
        assert held.control
        assert sum("control_pair" in sql for sql in control) == 1
        assert len(control) <= len(seen)


class TestAnswersChangeNothing:
    def test_a_control_answer_leaves_status_judgments_agreement_and_labels_alone(
        self, engine: Engine, people: None, draws: Draws
    ) -> None:
        set_percent(engine, 20)
        pair_id = judged(engine, PairStatus.accepted)
        with session_scope(engine) as session:
            adm = get_user(session, "adm")
            session.add(
                Judgment(pair_id=pair_id, reviewer_id=adm.id or 0, verdict="second", left_side="first")
            )
        mark(engine, pair_id)

        def state() -> tuple[object, ...]:
            with session_scope(engine, read_only=True) as session:
                pair = session.get_one(Pair, pair_id)
                quality = review_quality(session)
                return (
                    pair.status,
                    pair.swapped,
                    pair.version,
                    count(engine, Judgment),
                    count(engine, Pair, col(Pair.status) == PairStatus.accepted),
                    quality.verdicts,
                    [(r.username, r.judged) for r in quality.reviewers],
                )

        before = state()
        for name, verdict in (("rev", Verdict.first), ("rev2", Verdict.not_a_pair)):
            draws.draws = [0.0]
            held = lease(engine, name)
            assert held is not None
            assert held.control
            answer(engine, name, verdict)
        assert state() == before
        assert count(engine, ControlAnswer) == 2
        assert count(engine, Assignment, col(Assignment.pair_id) == pair_id) == 0

    def test_a_control_answer_counts_in_the_reviewer_s_own_numbers(
        self, engine: Engine, people: None, draws: Draws
    ) -> None:
        # Kept apart from judgments, but a count that did not go up would tell the reviewer it was a control.
        from datetime import timedelta

        from app.review.models import ControlAnswer
        from app.review.stats import reviewer_numbers

        set_percent(engine, 20)
        mark(engine, judged(engine, PairStatus.tie))
        draws.draws = [0.0]
        assert served(engine, "rev").control
        answer(engine, "rev", Verdict.tie)
        others = [judged(engine, PairStatus.tie) for _ in range(8)]
        with session_scope(engine) as session:
            rev = get_user(session, "rev")
            assert reviewer_numbers(session, reviewer=rev)[0].judged_today == 1
            # Answers on the eight days before today make a streak the walk past the week finds too.
            created = session.execute(select(ControlAnswer)).scalar_one().created_at
            for days, pair_id in enumerate(others, 1):
                session.add(ControlAnswer(pair_id=pair_id, reviewer_id=rev.id or 0, verdict="tie",
                                          left_side="first", created_at=created - timedelta(days=days)))  # fmt: skip
            session.flush()
            stats = reviewer_numbers(session, reviewer=rev)[0]
        assert (stats.judged_today, stats.streak_days) == (1, 9)

    def test_judging_a_control_twice_is_refused(self, engine: Engine, people: None, draws: Draws) -> None:
        set_percent(engine, 20)
        pair_id = judged(engine, PairStatus.tie)
        mark(engine, pair_id)
        draws.draws = [0.0]
        assert lease(engine, "rev") is not None
        with session_scope(engine) as session:
            held = queue.current_assignment(session, reviewer=get_user(session, "rev"))
            assert held is not None
            controls.answer(session, reviewer=get_user(session, "rev"), assignment=held, verdict=Verdict.tie)
        with session_scope(engine) as session:
            rev = get_user(session, "rev")
            session.add(Assignment(pair_id=pair_id, reviewer_id=rev.id or 0, left_side="first",
                                   expires_at=held.expires_at, control=True))  # fmt: skip
            session.flush()
            again = queue.current_assignment(session, reviewer=rev)
            assert again is not None
            with pytest.raises(ConflictError):
                controls.answer(session, reviewer=rev, assignment=again, verdict=Verdict.tie)
            session.rollback()

    def test_undo_brings_the_control_back_and_removes_its_answer(
        self, engine: Engine, people: None, draws: Draws
    ) -> None:
        set_percent(engine, 20)
        candidates(engine, 1)
        pair_id = judged(engine, PairStatus.tie)
        mark(engine, pair_id)
        answer_pair = lease(engine, "rev")  # the draw says no: a queue pair first
        assert answer_pair is not None
        assert not answer_pair.control
        answer(engine, "rev", Verdict.second)
        draws.draws = [0.0]
        held = served(engine, "rev")
        assert held.control
        answer(engine, "rev", Verdict.first)
        with session_scope(engine) as session:
            assert undo_last(session, reviewer=get_user(session, "rev")) == pair_id
        assert count(engine, ControlAnswer) == 0
        assert count(engine, Judgment) == 1
        with session_scope(engine) as session:
            back = queue.current_assignment(session, reviewer=get_user(session, "rev"))
            assert back is not None
            assert back.control
            assert back.pair_id == pair_id
            assert (back.draft or {})["verdict"] == "first"
        answer(engine, "rev", Verdict.tie)
        assert count(engine, ControlAnswer) == 1


class TestAccuracy:
    def test_accuracy_against_hand_computed_values(self, engine: Engine, people: None, draws: Draws) -> None:
        """rev: 3 of 4 right; rev2: 0 of 1. Wilson 95% for 3/4 by hand: centre (0.75 + 1.9208/4) / (1 + 3.8415/4)."""
        set_percent(engine, 20)
        expected = [
            judged(engine, PairStatus.accepted),  # second
            judged(engine, PairStatus.accepted, swapped=True),  # first
            judged(engine, PairStatus.tie),
            judged(engine, PairStatus.not_a_pair),
        ]
        for pair_id in expected:
            mark(engine, pair_id)
        for verdict in (Verdict.second, Verdict.first, Verdict.tie, Verdict.tie):
            draws.draws = [0.0]
            held = served(engine, "rev")
            assert held.control
            answer(engine, "rev", verdict)
        draws.draws = [0.0]
        assert lease(engine, "rev2") is not None
        answer(engine, "rev2", Verdict.first)
        with session_scope(engine, read_only=True) as session:
            rows = {a.username: a for a in controls.accuracy(session)}
            listed = {c.pair_id: (c.answered, c.correct) for c in controls.list_controls(session)}
        rev, rev2 = rows["rev"], rows["rev2"]
        assert (rev.answered, rev.correct, rev.share) == (4, 3, 0.75)
        z = 1.959963984540054
        centre = (0.75 + z * z / 8) / (1 + z * z / 4)
        margin = z * (0.75 * 0.25 / 4 + z * z / 64) ** 0.5 / (1 + z * z / 4)
        assert rev.low == pytest.approx(centre - margin) == pytest.approx(0.30064, abs=1e-4)
        assert rev.high == pytest.approx(centre + margin) == pytest.approx(0.95441, abs=1e-4)
        assert (rev2.answered, rev2.correct, rev2.share) == (1, 0, 0.0)
        assert (rev2.low, rev2.high) == wilson(0, 1)
        assert listed == {expected[0]: (2, 1), expected[1]: (1, 1), expected[2]: (1, 1), expected[3]: (1, 0)}
