"""Admin review pages: guidelines (and the reviewer's panel), agreement figures, adjudication of conflicts."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.db import session_scope
from app.pairs.models import Pair
from app.review.models import Adjudication
from app.settings.models import AuditEvent
from app.settings.service import set_value
from tests.web_helpers import client, make_user, post_form, screen_token, seed_samples, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def world(engine: Engine) -> list[int]:
    pairs = seed_samples(engine)
    for name in ("rev", "rev2"):
        make_user(engine, name)
    make_user(engine, "adm", role="admin")
    with session_scope(engine) as session:
        set_value(session, key="overlap", value=2)
    return pairs


def _disagree(engine: Engine) -> int:
    """rev prefers the left answer, rev2 calls it a tie: the pair goes into conflict."""
    pair_id = 0
    for name, verdict in (("rev", "left"), ("rev2", "tie")):
        c = signed_in(name)
        html = post_form(c, "/review/next", htmx=True).text
        pair_id = int(html.split('data-pair-id="', 1)[1].split('"', 1)[0])
        form = {"verdict": verdict, "comment": f"{name} thinks so", "patterns_left": ["tradeoffs"]}
        assert post_form(c, f"/review/{pair_id}/judge", form, htmx=True).status_code == 200
    return pair_id


class TestGuidelines:
    def test_admin_writes_guidelines_and_the_reviewer_sees_them(
        self, engine: Engine, world: list[int]
    ) -> None:
        adm = signed_in("adm")
        form = {
            "text": "Prefer **correct** over long.",
            "good_tradeoffs": "Weighs URI vs header",
            "bad_tradeoffs": "Lists one",
        }
        response = post_form(adm, "/review/admin/guidelines", form)
        assert response.status_code == 303
        assert "Weighs URI vs header" in adm.get("/review/admin/guidelines").text
        html = post_form(signed_in("rev"), "/review/next", htmx=True).text
        assert "<strong>correct</strong> over long." in html
        assert "Weighs URI vs header" in html
        assert "Lists one" in html

    def test_unknown_fields_are_422_and_reviewers_403(self, engine: Engine, world: list[int]) -> None:
        response = post_form(signed_in("adm"), "/review/admin/guidelines", {"text": "x", "good_nope": "y"})
        assert response.status_code == 422
        assert "good_nope" in response.text
        assert signed_in("rev").get("/review/admin/guidelines").status_code == 403
        assert post_form(signed_in("rev"), "/review/admin/guidelines", {"text": "x"}).status_code == 403
        anonymous = client().get("/review/admin/guidelines", follow_redirects=False)
        assert anonymous.status_code in (303, 401)


class TestAdjudication:
    def test_conflict_is_shown_side_by_side_and_settled(self, engine: Engine, world: list[int]) -> None:
        pair_id = _disagree(engine)
        adm = signed_in("adm")
        page = adm.get("/review/admin/adjudication").text
        assert f"Pair #{pair_id}" in page
        assert "rev thinks so" in page
        assert "rev2 thinks so" in page
        response = post_form(
            adm, f"/review/admin/adjudication/{pair_id}", {"verdict": "second", "note": "revision is right"}
        )
        assert response.status_code == 303
        with session_scope(engine, read_only=True) as session:
            pair = session.get_one(Pair, pair_id)
            assert (pair.status, pair.swapped) == ("accepted", False)
            decision = session.execute(
                select(Adjudication).where(col(Adjudication.pair_id) == pair_id)
            ).scalar_one()
            assert (decision.verdict, decision.note) == ("second", "revision is right")
            events = (
                session.execute(
                    select(col(AuditEvent.action)).where(col(AuditEvent.object_id) == str(pair_id))
                )
                .scalars()
                .all()
            )
            assert "pair.adjudicated" in events
        # A reviewer's undo afterwards does not reopen the adjudicated pair.
        post_form(signed_in("rev2"), "/review/undo", htmx=True)
        with session_scope(engine, read_only=True) as session:
            assert session.get_one(Pair, pair_id).status == "accepted"

    def test_errors(self, engine: Engine, world: list[int]) -> None:
        adm = signed_in("adm")
        assert post_form(adm, "/review/admin/adjudication/999999", {"verdict": "tie"}).status_code == 404
        assert (
            post_form(adm, f"/review/admin/adjudication/{world[0]}", {"verdict": "left"}).status_code == 422
        )
        not_conflict = post_form(adm, f"/review/admin/adjudication/{world[0]}", {"verdict": "tie"})
        assert not_conflict.status_code == 409
        assert "not in conflict" in not_conflict.text
        assert (
            post_form(
                signed_in("rev"), f"/review/admin/adjudication/{world[0]}", {"verdict": "tie"}
            ).status_code
            == 403
        )


class TestAgreementPage:
    def test_figures_for_a_disagreement(self, engine: Engine, world: list[int]) -> None:
        _disagree(engine)
        page = signed_in("adm").get("/review/admin/agreement").text
        # One pair with two different verdicts: n = 2 values, o_ab = o_ba = 1,
        # n_a = n_b = 1: alpha = 1 - (2 - 1) * 2 / (1 + 1) = 0.00; percent agreement 0%.
        assert 'data-alpha="verdict">0.00<' in page
        assert "rev2" in page
        assert signed_in("rev").get("/review/admin/agreement").status_code == 403

    def test_screen_token_helper_reads_the_page(self, engine: Engine, world: list[int]) -> None:
        c = signed_in("rev")
        post_form(c, "/review/next", htmx=True)
        assert len(screen_token(c)) > 10


def _served(html: str) -> int:
    return int(html.split('data-pair-id="', 1)[1].split('"', 1)[0])


class TestControls:
    """/review/admin/controls: the rate, marking and unmarking, accuracy; a control on the review screen."""

    @pytest.fixture
    def decided(self, engine: Engine, world: list[int]) -> int:
        """A pair two reviewers agreed on (a tie): judged, so it can be a control."""
        pair_id = 0
        for name in ("rev", "rev2"):
            c = signed_in(name)
            pair_id = _served(post_form(c, "/review/next", htmx=True).text)
            assert post_form(c, f"/review/{pair_id}/judge", {"verdict": "tie"}, htmx=True).status_code == 200
        with session_scope(engine, read_only=True) as session:
            assert session.get_one(Pair, pair_id).status == "tie"
        return pair_id

    def test_mark_serve_judge_and_unmark(
        self, engine: Engine, decided: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from types import SimpleNamespace

        from app.review import queue
        from app.review.models import ControlAnswer, Judgment
        from tests.web_helpers import count, make_user

        adm = signed_in("adm")
        assert post_form(adm, "/review/admin/controls", {"pair_id": str(decided)}).status_code == 303
        assert post_form(adm, "/review/admin/controls/rate", {"percent": "20"}).status_code == 303
        page = adm.get("/review/admin/controls").text
        assert f"#{decided}</a>" in page
        assert 'value="20"' in page
        # A new reviewer, and a draw under 20%: the control comes first, on the same screen as any pair.
        make_user(engine, "rev3")
        monkeypatch.setattr(queue, "control_random", SimpleNamespace(random=lambda: 0.05))
        c = signed_in("rev3")
        html = post_form(c, "/review/next", htmx=True).text
        assert _served(html) == decided
        assert "control" not in html.lower()
        judgments = count(engine, Judgment)
        response = post_form(c, f"/review/{decided}/judge", {"verdict": "left"}, htmx=True)
        assert response.status_code == 200
        assert _served(response.text) != decided
        assert count(engine, Judgment) == judgments
        assert count(engine, ControlAnswer) == 1
        with session_scope(engine, read_only=True) as session:
            assert session.get_one(Pair, decided).status == "tie"
        agreement = adm.get("/review/admin/agreement").text
        assert "Accuracy on control pairs" in agreement
        assert "<td>rev3</td><td>1</td><td>0</td><td>0%</td>" in agreement
        assert "<td>rev3</td><td>1</td><td>0</td><td>0%</td>" in adm.get("/review/admin/controls").text
        assert post_form(adm, f"/review/admin/controls/{decided}/unmark", {}).status_code == 303
        assert f"#{decided}</a>" not in adm.get("/review/admin/controls").text
        assert "<td>rev3</td>" not in adm.get("/review/admin/agreement").text
        with session_scope(engine, read_only=True) as session:
            actions = session.execute(select(col(AuditEvent.action))).scalars().all()
        assert {"pair.control_marked", "pair.control_unmarked", "settings.update"} <= set(actions)

    def test_adjudication_can_mark_the_pair_as_a_control(self, engine: Engine, world: list[int]) -> None:
        from app.review.models import ControlPair

        pair_id = _disagree(engine)
        adm = signed_in("adm")
        form = {"verdict": "first", "note": "", "control": "1"}
        assert post_form(adm, f"/review/admin/adjudication/{pair_id}", form).status_code == 303
        with session_scope(engine, read_only=True) as session:
            control = session.execute(select(ControlPair)).scalar_one()
            assert (control.pair_id, control.verdict) == (pair_id, "first")
        assert "accepted, swapped" in adm.get("/review/admin/controls").text

    def test_errors(self, engine: Engine, decided: int, world: list[int]) -> None:
        adm = signed_in("adm")
        assert post_form(adm, "/review/admin/controls", {"pair_id": "999999"}).status_code == 404
        candidate = next(p for p in world if p != decided)
        undecided = post_form(adm, "/review/admin/controls", {"pair_id": str(candidate)})
        assert undecided.status_code == 409
        assert "only a judged pair" in undecided.text
        for bad in ({"pair_id": "abc"}, {"pair_id": "0"}, {"pair_id": "²"}, {"pair": "1"}):
            assert post_form(adm, "/review/admin/controls", bad).status_code == 422
        for bad in ({"percent": "21"}, {"percent": "-1"}, {"percent": "x"}, {"percent": "5", "extra": "1"}):
            assert post_form(adm, "/review/admin/controls/rate", bad).status_code == 422
        assert post_form(adm, f"/review/admin/controls/{decided}/unmark", {}).status_code == 404
        assert post_form(adm, "/review/admin/controls/999999/unmark", {}).status_code == 404
        assert post_form(adm, "/review/admin/controls/abc/unmark", {}).status_code == 422
        assert (
            post_form(
                adm, f"/review/admin/adjudication/{decided}", {"verdict": "tie", "control": "yes"}
            ).status_code
            == 422
        )
        rev = signed_in("rev")
        assert rev.get("/review/admin/controls").status_code == 403
        assert post_form(rev, "/review/admin/controls", {"pair_id": str(decided)}).status_code == 403
        assert post_form(rev, "/review/admin/controls/rate", {"percent": "5"}).status_code == 403
        assert post_form(rev, f"/review/admin/controls/{decided}/unmark", {}).status_code == 403
        anonymous = client()
        assert anonymous.get("/review/admin/controls", follow_redirects=False).status_code in (303, 401)
        assert anonymous.post("/review/admin/controls/rate", follow_redirects=False).status_code in (
            303,
            401,
            403,
        )
