"""The detection page: scorer in use, models with held-back precision/recall, train, activate, roll back."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine
from sqlmodel import col, select
from starlette.testclient import TestClient

from app.db import session_scope
from app.jobs.models import Job
from app.jobs.runner import execute
from app.pairs import learning_service as ls
from app.pairs.detection import DETECTOR_VERSION
from app.pairs.models import DetectionModel, PairStatus
from app.settings.models import AuditEvent
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
