"""Job pages: live progress partial (polling stops when done), failure reason, stale workers, retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from app.db import session_scope
from app.jobs.models import Job
from app.jobs.runner import execute
from app.jobs.service import mark_stale_jobs_failed
from app.models_base import utcnow
from app.pairs import jobs as _detect_jobs  # noqa: F401  (registers the detect handler)
from tests.page_helpers import csrf_of, one, post, soup, text_of

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")


def make_job(engine: Engine, **values: Any) -> int:
    with session_scope(engine) as session:
        job = Job(kind=values.pop("kind", "detect"), payload={}, **values)
        session.add(job)
        session.flush()
        assert job.id is not None
        return job.id


def status_of(engine: Engine, job_id: int) -> str:
    with session_scope(engine, read_only=True) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job.status


class TestJobPage:
    def test_running_job_polls_every_second_with_a_progress_bar(
        self, engine: Engine, admin: TestClient
    ) -> None:
        job_id = make_job(engine, kind="import", status="running", progress=50, total=200,
                          heartbeat_at=utcnow(), message="import batch 7")  # fmt: skip
        page = soup(admin.get(f"/admin/jobs/{job_id}").text)
        status = one(page, "#job-status")
        assert status["hx-get"] == f"/admin/jobs/{job_id}/status"
        assert status["hx-trigger"] == "every 1s"
        assert status["hx-swap"] == "outerHTML"
        assert one(page, "progress")["value"] == "25"
        assert one(page, "[data-progress]")["data-total"] == "200"

    def test_status_partial_is_the_section_only(self, engine: Engine, admin: TestClient) -> None:
        job_id = make_job(engine, status="queued")
        response = admin.get(f"/admin/jobs/{job_id}/status", headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<section id="job-status"')
        assert "<html" not in response.text

    def test_finished_job_stops_polling_and_shows_its_result(self, engine: Engine, admin: TestClient) -> None:
        job_id = make_job(engine, status="queued")
        execute(engine, job_id)
        response = admin.get(f"/admin/jobs/{job_id}/status")
        section = one(soup(response.text), "#job-status")
        assert section["data-status"] == "succeeded"
        assert not section.has_attr("hx-trigger")
        assert not section.has_attr("hx-get")
        assert one(section, 'dd[data-count="conversations"]').get_text() == "0"

    def test_failed_job_shows_the_reason_and_a_retry_button(self, engine: Engine, admin: TestClient) -> None:
        job_id = make_job(engine, status="failed", error="the folder vanished")
        page = soup(admin.get(f"/admin/jobs/{job_id}").text)
        assert one(page, "#job-status .error").get_text() == "the folder vanished"
        form = one(page, f'form[action="/admin/jobs/{job_id}/retry"]')
        assert one(form, "input[name=csrf_token]")["value"] == csrf_of(admin)

    def test_job_whose_worker_died_is_shown_failed(self, engine: Engine, admin: TestClient) -> None:
        job_id = make_job(engine, status="running", heartbeat_at=utcnow() - timedelta(minutes=5))
        assert "has not reported for over a minute" in text_of(admin.get(f"/admin/jobs/{job_id}"))
        assert mark_stale_jobs_failed(engine) == 1
        page = admin.get(f"/admin/jobs/{job_id}")
        assert one(soup(page.text), "#job-status")["data-status"] == "failed"
        assert "worker running this job stopped" in text_of(page)
        assert soup(page.text).select_one(f'form[action="/admin/jobs/{job_id}/retry"]')

    def test_unknown_job_is_404(self, admin: TestClient) -> None:
        assert admin.get("/admin/jobs/424242").status_code == 404
        assert admin.get("/admin/jobs/424242/status").status_code == 404

    def test_bad_id_is_422(self, admin: TestClient) -> None:
        assert admin.get("/admin/jobs/x").status_code == 422

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        job_id = make_job(engine)
        assert reviewer.get(f"/admin/jobs/{job_id}").status_code == 403
        assert reviewer.get(f"/admin/jobs/{job_id}/status").status_code == 403

    def test_anonymous_goes_to_login(self, engine: Engine, anonymous: TestClient) -> None:
        job_id = make_job(engine)
        response = anonymous.get(f"/admin/jobs/{job_id}/status", headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response.headers["hx-redirect"] == f"/login?next=/admin/jobs/{job_id}/status"


class TestRetry:
    def test_failed_job_is_queued_again_and_enqueued_after_commit(
        self, engine: Engine, admin: TestClient, enqueued: list[int]
    ) -> None:
        job_id = make_job(engine, status="failed", error="boom")
        response = post(admin, f"/admin/jobs/{job_id}/retry")
        assert response.status_code == 303
        assert response.headers["location"] == f"/admin/jobs/{job_id}"
        assert status_of(engine, job_id) == "queued"
        assert enqueued == [job_id]
        execute(engine, job_id)
        assert status_of(engine, job_id) == "succeeded"

    def test_htmx_retry_gets_hx_redirect(self, engine: Engine, admin: TestClient) -> None:
        job_id = make_job(engine, status="cancelled")
        response = admin.post(f"/admin/jobs/{job_id}/retry",
                              headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(admin)})  # fmt: skip
        assert response.status_code == 204
        assert response.headers["hx-redirect"] == f"/admin/jobs/{job_id}"

    def test_running_job_cannot_be_retried(
        self, engine: Engine, admin: TestClient, enqueued: list[int]
    ) -> None:
        job_id = make_job(engine, status="running", heartbeat_at=utcnow())
        response = post(admin, f"/admin/jobs/{job_id}/retry")
        assert response.status_code == 409
        assert "only failed or cancelled jobs can be retried" in text_of(response)
        assert enqueued == []

    def test_unknown_job_is_404(self, admin: TestClient, enqueued: list[int]) -> None:
        assert post(admin, "/admin/jobs/424242/retry").status_code == 404
        assert enqueued == []

    def test_missing_csrf_is_refused(self, engine: Engine, admin: TestClient) -> None:
        job_id = make_job(engine, status="failed")
        assert admin.post(f"/admin/jobs/{job_id}/retry").status_code == 403
        assert status_of(engine, job_id) == "failed"

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        job_id = make_job(engine, status="failed")
        assert post(reviewer, f"/admin/jobs/{job_id}/retry").status_code == 403
        assert status_of(engine, job_id) == "failed"
