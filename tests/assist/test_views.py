"""The admin page of the suggestion provider and the suggest job, against the stand-in server."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from app.assist.models import Suggestion
from app.db import session_scope
from app.jobs.models import Job
from app.jobs.runner import execute
from app.pairs.leak_check import check_unchecked_pairs
from tests.assist.fake_chat import KEY, rewrite_reply, serve_chat
from tests.releases.factories import add_pair
from tests.web_helpers import make_user, post_form, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


def test_admin_saves_the_provider_and_runs_the_job(engine: Engine) -> None:
    make_user(engine, "adm", role="admin")
    c = signed_in("adm")
    with session_scope(engine) as session:
        add_pair(session, question="How do I paginate?", pushback="Wrong: the table has 50M rows.",
                 chosen="Good catch! With 50M rows, use keyset pagination.")  # fmt: skip
        check_unchecked_pairs(session.connection())
    with serve_chat(rewrite_reply) as fake:
        form = {"base_url": fake.base_url, "model": "stand-in", "api_key": KEY}
        assert post_form(c, "/admin/suggestions/provider", form).status_code == 303
        page = c.get("/admin/suggestions").text
        assert KEY not in page
        assert KEY[-4:] in page
        response = post_form(c, "/admin/suggestions/run", {"limit": "10"})
        assert response.status_code == 303
        job_id = int(response.headers["location"].rsplit("/", 1)[-1])
        execute(engine, job_id)
    with session_scope(engine, read_only=True) as session:
        job = session.get_one(Job, job_id)
        assert job.result == {"pairs": 1, "suggestions": 2, "error": None}
        assert len(session.exec(select(Suggestion)).all()) == 2


def test_a_bad_url_keeps_the_form_without_the_key(engine: Engine) -> None:
    make_user(engine, "adm", role="admin")
    form = {"base_url": "ftp://example", "model": "m", "api_key": KEY}
    response = post_form(signed_in("adm"), "/admin/suggestions/provider", form)
    assert response.status_code == 422
    assert "base URL must start with https://" in response.text
    assert KEY not in response.text


def test_reviewers_cannot_reach_the_page(engine: Engine) -> None:
    make_user(engine, "rev")
    assert signed_in("rev").get("/admin/suggestions").status_code == 403
