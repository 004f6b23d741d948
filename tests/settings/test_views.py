"""Settings: threshold, overlap and lease with validation in words; re-running detection as a job."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from app.db import session_scope
from app.jobs.models import Job
from app.jobs.runner import execute
from app.pairs import jobs as _detect_jobs  # noqa: F401  (registers the detect handler)
from app.settings.service import get_value
from tests.page_helpers import job_id_of, one, pairs, post, soup, text_of
from tests.web_helpers import count

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")
VALID = {"detection_threshold": "0.7", "overlap": "2", "lease_minutes": "30"}


def values(engine: Engine) -> dict[str, Any]:
    with session_scope(engine, read_only=True) as session:
        return {key: get_value(session, key=key) for key in VALID}


class TestSettingsPage:
    def test_shows_the_current_values(self, engine: Engine, admin: TestClient) -> None:
        page = soup(admin.get("/admin/settings").text)
        shown = {name: one(page, f"input[name={name}]")["value"] for name in VALID}
        assert shown == {"detection_threshold": "0.5", "overlap": "1", "lease_minutes": "10"}

    def test_reviewer_is_refused(self, reviewer: TestClient) -> None:
        assert reviewer.get("/admin/settings").status_code == 403

    def test_anonymous_goes_to_login(self, anonymous: TestClient) -> None:
        assert anonymous.get("/admin/settings").headers["location"] == "/login?next=/admin/settings"


class TestSaveSettings:
    def test_valid_values_are_stored(self, engine: Engine, admin: TestClient) -> None:
        response = post(admin, "/admin/settings", VALID)
        assert (response.status_code, response.headers["location"]) == (303, "/admin/settings?notice=saved")
        assert values(engine) == {"detection_threshold": 0.7, "overlap": 2, "lease_minutes": 30}
        assert "The settings were saved." in text_of(admin.get(response.headers["location"]))

    @pytest.mark.parametrize(
        ("field", "value", "words"),
        [
            (
                "detection_threshold",
                "1.5",
                "Detection threshold must be a number from 0 to 1, for example 0.5.",
            ),
            (
                "detection_threshold",
                "-0.1",
                "Detection threshold must be a number from 0 to 1, for example 0.5.",
            ),
            (
                "detection_threshold",
                "nan",
                "Detection threshold must be a number from 0 to 1, for example 0.5.",
            ),
            (
                "detection_threshold",
                "half",
                "Detection threshold must be a number from 0 to 1, for example 0.5.",
            ),
            ("overlap", "0", "Overlap must be a whole number of reviewers from 1 to 10."),
            ("overlap", "11", "Overlap must be a whole number of reviewers from 1 to 10."),
            ("overlap", "1.5", "Overlap must be a whole number of reviewers from 1 to 10."),
            ("lease_minutes", "241", "Lease must be a whole number of minutes from 1 to 240."),
            ("lease_minutes", "", "Lease must be a whole number of minutes from 1 to 240."),
        ],
    )
    def test_invalid_values_are_422_in_words_and_nothing_is_saved(
        self, engine: Engine, admin: TestClient, field: str, value: str, words: str
    ) -> None:
        response = post(admin, "/admin/settings", {**VALID, field: value})
        assert response.status_code == 422
        page = soup(response.text)
        assert one(page, f'[data-error="{field}"]').get_text() == words
        assert len(page.select("[data-error]")) == 1
        assert one(page, f"input[name={field}]")["value"] == value
        assert values(engine) == {"detection_threshold": 0.5, "overlap": 1, "lease_minutes": 10}

    def test_unknown_field_is_422(self, engine: Engine, admin: TestClient) -> None:
        response = post(admin, "/admin/settings", {**VALID, "secret_key": "x"})
        assert response.status_code == 422
        assert "secret_key: Extra inputs are not permitted" in text_of(response)
        assert values(engine)["overlap"] == 1

    def test_missing_csrf_is_refused(self, engine: Engine, admin: TestClient) -> None:
        assert admin.post("/admin/settings", data=VALID).status_code == 403
        assert values(engine)["overlap"] == 1

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        assert post(reviewer, "/admin/settings", VALID).status_code == 403
        assert values(engine)["overlap"] == 1


class TestRedetect:
    def test_queues_a_detect_job_that_runs(
        self, engine: Engine, admin: TestClient, enqueued: list[int]
    ) -> None:
        pairs(engine, 2)
        response = post(admin, "/admin/settings/redetect")
        assert response.status_code == 303
        job_id = job_id_of(response)
        assert enqueued == [job_id]
        execute(engine, job_id)
        with session_scope(engine, read_only=True) as session:
            job = session.get(Job, job_id)
            assert job is not None
            assert (job.kind, job.status) == ("detect", "succeeded")
            assert job.result is not None
            assert job.result["conversations"] == 2
        page = soup(admin.get(f"/admin/jobs/{job_id}").text)
        assert one(page, 'dd[data-count="conversations"]').get_text() == "2"

    def test_missing_csrf_is_refused(self, engine: Engine, admin: TestClient, enqueued: list[int]) -> None:
        assert admin.post("/admin/settings/redetect").status_code == 403
        assert (count(engine, Job), enqueued) == (0, [])

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        assert post(reviewer, "/admin/settings/redetect").status_code == 403
        assert count(engine, Job) == 0
