"""The detection page: scorer in use, models with held-back precision/recall, train, activate, roll back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from app.assist.models import SecondOpinion
from app.assist.opinions import PROMPT_VERSION
from app.assist.provider import save_provider
from app.config import get_settings
from app.db import session_scope
from app.jobs.models import Job
from app.jobs.runner import execute
from app.pairs import learning_service as ls
from app.pairs.detection import DETECTOR_VERSION
from app.pairs.models import DetectionModel, PairStatus
from app.settings.models import AuditEvent
from tests.assist.fake_chat import KEY, FakeChat, serve_chat
from tests.web_helpers import add_pair, count, make_user, post_form, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


def seed_verdicts(engine: Engine, real: int = 30, not_real: int = 30) -> None:
    with session_scope(engine) as session:
        for _ in range(real):
            add_pair(session, status=PairStatus.accepted).signals = "correction,chosen-revises"
        for _ in range(not_real):
            add_pair(session, status=PairStatus.not_a_pair).signals = "praise"


def trained(engine: Engine) -> int:
    with session_scope(engine) as session:
        model = ls.train(session, user_id=None)
        assert model.id is not None
        return model.id


class TestPage:
    def test_shows_the_rule_based_default(self, engine: Engine, admin: TestClient) -> None:
        page = BeautifulSoup(admin.get("/admin/detection").text, "html.parser")
        assert f"The rule-based detector {DETECTOR_VERSION}" in page.get_text(" ", strip=True)
        assert page.select_one('form[action="/admin/detection/rollback"]') is None

    def test_shows_the_active_model_and_its_held_back_figures(
        self, engine: Engine, admin: TestClient
    ) -> None:
        seed_verdicts(engine)
        model_id = trained(engine)
        text = " ".join(BeautifulSoup(admin.get("/admin/detection").text, "html.parser").get_text().split())
        assert f"Model lr-{model_id}, fitted to" in text
        assert "precision 1.00, recall 1.00" in text

    def test_reviewer_is_refused(self, engine: Engine) -> None:
        make_user(engine, "rev")
        c = signed_in("rev")
        assert c.get("/admin/detection").status_code == 403
        assert post_form(c, "/admin/detection/train").status_code == 403
        assert count(engine, Job) == 0

    def test_anonymous_is_401_or_sent_to_login(self, engine: Engine) -> None:
        from tests.web_helpers import client

        c = client()
        assert c.get("/admin/detection").headers["location"] == "/login?next=/admin/detection"
        assert c.get("/admin/detection", headers={"Accept": "application/json"}).status_code == 401

    def test_unknown_notice_is_422(self, engine: Engine, admin: TestClient) -> None:
        assert admin.get("/admin/detection?notice=bogus").status_code == 422


class TestActions:
    def test_train_runs_as_a_job(self, engine: Engine, admin: TestClient, enqueued: list[int]) -> None:
        seed_verdicts(engine)
        c = admin
        response = post_form(c, "/admin/detection/train")
        assert response.status_code == 303
        job_id = int(response.headers["location"].rsplit("/", 1)[1])
        assert enqueued == [job_id]
        execute(engine, job_id)
        with session_scope(engine, read_only=True) as session:
            job = session.get(Job, job_id)
            assert job is not None
            assert (job.kind, job.status) == (ls.TRAIN_JOB, "succeeded")
            assert job.result is not None
            assert job.result["model"].startswith("lr-")
            assert ls.active_model(session) is not None

    def test_train_with_too_few_verdicts_fails_in_words(
        self, engine: Engine, admin: TestClient, enqueued: list[int]
    ) -> None:
        response = post_form(admin, "/admin/detection/train")
        execute(engine, enqueued[0])
        with session_scope(engine, read_only=True) as session:
            job = session.get(Job, int(response.headers["location"].rsplit("/", 1)[1]))
            assert job is not None
            assert job.status == "failed"
            assert "Not enough verdicts to learn from" in (job.error or "")

    def test_activate_and_rollback(self, engine: Engine, admin: TestClient, enqueued: list[int]) -> None:
        seed_verdicts(engine)
        first, second = trained(engine), trained(engine)
        c = admin
        response = post_form(c, f"/admin/detection/models/{first}/activate")
        assert (response.status_code, response.headers["location"]) == (
            303,
            "/admin/detection?notice=activated",
        )
        with session_scope(engine, read_only=True) as session:
            assert [m.id for m in session.exec(select(DetectionModel).where(DetectionModel.active))] == [
                first
            ]
        assert post_form(c, f"/admin/detection/models/{second}/activate").status_code == 303
        assert (
            post_form(c, "/admin/detection/rollback").headers["location"]
            == "/admin/detection?notice=activated"
        )
        rules = post_form(c, "/admin/detection/rollback")
        assert rules.headers["location"] == "/admin/detection?notice=rules"
        assert len(enqueued) == 1  # back to the rules: a detect job restores their scores
        with session_scope(engine, read_only=True) as session:
            assert ls.active_model(session) is None
            actions = [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]
        assert actions == [
            "detection.activate",
            "detection.activate",
            "detection.rollback",
            "detection.rollback",
        ]
        assert post_form(c, "/admin/detection/rollback").status_code == 409

    def test_use_rules(self, engine: Engine, admin: TestClient, enqueued: list[int]) -> None:
        seed_verdicts(engine)
        trained(engine)
        response = post_form(admin, "/admin/detection/rules")
        assert response.headers["location"] == "/admin/detection?notice=rules"
        assert len(enqueued) == 1
        with session_scope(engine, read_only=True) as session:
            assert ls.active_model(session) is None

    def test_unknown_model_is_404(self, engine: Engine, admin: TestClient) -> None:
        assert post_form(admin, "/admin/detection/models/999/activate").status_code == 404

    def test_bad_model_id_is_422(self, engine: Engine, admin: TestClient) -> None:
        assert post_form(admin, "/admin/detection/models/abc/activate").status_code == 422

    def test_missing_csrf_is_refused(self, engine: Engine, admin: TestClient) -> None:
        assert admin.post("/admin/detection/train").status_code == 403
        assert count(engine, Job) == 0


@pytest.fixture
def provider_saved(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeChat]:
    """A saved suggestion provider: the stand-in chat server on loopback (allowed for it here)."""
    monkeypatch.setenv("PAIRWISE_ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()
    with serve_chat(lambda _m: '{"verdict": "pair", "confidence": 0.9, "reason": "It concedes."}') as fake:
        with session_scope(engine) as session:
            save_provider(session, base_url=fake.base_url, model="stand-in", api_key=KEY, user_id=None)
        yield fake
    get_settings.cache_clear()


def _opinion(session: Session, *, status: PairStatus, verdict: str) -> None:
    pair = add_pair(session, status=status, score=0.5)
    session.add(
        SecondOpinion(pair_id=pair.id or 0, prompt_version=PROMPT_VERSION, verdict=verdict, model="m")
    )


class TestSecondOpinions:
    BAND = {"low": "0.4", "high": "0.6", "limit": "7"}

    def test_launch_runs_a_job_over_the_band(
        self, engine: Engine, admin: TestClient, enqueued: list[int], provider_saved: FakeChat
    ) -> None:
        with session_scope(engine) as session:
            inside, outside = add_pair(session, score=0.55).id, add_pair(session, score=0.9).id
        response = post_form(admin, "/admin/detection/second-opinions", self.BAND)
        assert response.status_code == 303
        job_id = int(response.headers["location"].rsplit("/", 1)[1])
        assert enqueued == [job_id]
        execute(engine, job_id)
        with session_scope(engine, read_only=True) as session:
            job = session.get_one(Job, job_id)
            assert (job.kind, job.status, job.payload) == (
                "second_opinions",
                "succeeded",
                {"low": 0.4, "high": 0.6, "limit": 7},
            )
            assert [o.pair_id for o in session.exec(select(SecondOpinion))] == [inside]
            assert outside != inside
            actions = [e.action for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]
        assert actions == ["assist.provider.saved", "detection.second_opinions"]
        assert len(provider_saved.requests) == 1
        text = " ".join(BeautifulSoup(admin.get("/admin/detection").text, "html.parser").get_text().split())
        assert "1 opinion stored. None has a reviewers' verdict yet" in text

    def test_refused_without_a_provider(self, engine: Engine, admin: TestClient, enqueued: list[int]) -> None:
        response = post_form(admin, "/admin/detection/second-opinions", self.BAND)
        assert response.status_code == 409
        assert "save a suggestion provider first" in response.text
        assert (enqueued, count(engine, Job)) == ([], 0)
        page = BeautifulSoup(admin.get("/admin/detection").text, "html.parser")
        assert page.select_one('form[action="/admin/detection/second-opinions"]') is None
        assert page.select_one('#second-opinions a[href="/admin/suggestions"]') is not None

    @pytest.mark.parametrize(
        "form",
        [
            {"low": "0.6", "high": "0.4"},
            {"low": "0.5", "high": "0.5"},
            {"low": "-0.1", "high": "0.6"},
            {"low": "0.4", "high": "1.5"},
            {"low": "0.4", "high": "0.6", "limit": "0"},
            {"low": "0.4", "high": "0.6", "limit": "1001"},
            {"low": "abc", "high": "0.6"},
            {"high": "0.6"},
        ],
    )
    def test_bad_bands_and_limits_are_422(
        self,
        engine: Engine,
        admin: TestClient,
        enqueued: list[int],
        provider_saved: FakeChat,
        form: dict[str, str],
    ) -> None:
        assert post_form(admin, "/admin/detection/second-opinions", form).status_code == 422
        assert count(engine, Job) == 0

    def test_reviewer_is_refused_and_anonymous_is_401(self, engine: Engine, enqueued: list[int]) -> None:
        from tests.web_helpers import client

        make_user(engine, "rev")
        assert post_form(signed_in("rev"), "/admin/detection/second-opinions", self.BAND).status_code == 403
        anonymous = client().post(
            "/admin/detection/second-opinions", data=self.BAND, headers={"Accept": "application/json"}
        )
        assert anonymous.status_code in (401, 403)
        assert count(engine, Job) == 0

    def test_the_page_shows_agreement_with_the_reviewers(
        self, engine: Engine, admin: TestClient, provider_saved: FakeChat
    ) -> None:
        with session_scope(engine) as session:
            _opinion(session, status=PairStatus.accepted, verdict="pair")
            _opinion(session, status=PairStatus.tie, verdict="pair")
            _opinion(session, status=PairStatus.accepted, verdict="not_pair")
            _opinion(session, status=PairStatus.not_a_pair, verdict="not_pair")
            _opinion(session, status=PairStatus.candidate, verdict="pair")
        page = BeautifulSoup(admin.get("/admin/detection").text, "html.parser")
        section = page.select_one("#second-opinions")
        assert section is not None
        text = " ".join(section.get_text().split())
        assert "5 opinions stored." in text
        assert "On the 4 with a reviewers' verdict" in text
        assert "the model agreed on 3 (75%): 2 of 3 pairs, 1 of 1 non-pairs." in text
        form = section.select_one('form[action="/admin/detection/second-opinions"]')
        assert form is not None
        values = {i["name"]: i.get("value") for i in form.select("input")}
        assert (values["low"], values["high"], values["limit"]) == ("0.35", "0.65", "100")
        assert len(provider_saved.requests) == 0, "showing the page asks the model nothing"
