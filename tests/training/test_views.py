"""The training pages: launch form, run page with live fragment and charts, runs list, cancel, access."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, func, select

from app.db import session_scope
from app.jobs.models import Job
from app.training.models import TrainingRun
from tests.training.conftest import execute, launch, load_run, make_release
from tests.training.fake_openai import FakeOpenAI
from tests.training.web import anonymous, signed_in
from tests.web_helpers import csrf, make_user

pytestmark = pytest.mark.usefixtures("fast_passwords")


def runs_count(engine: Engine) -> int:
    with session_scope(engine, read_only=True) as session:
        return int(session.execute(select(func.count()).select_from(TrainingRun)).scalar_one())


def form_post(client, url: str, data: dict[str, str]):
    return client.post(url, data={**data, "csrf_token": csrf(client)})


def test_form_preselects_the_method_and_shows_backend_params(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    sft = make_release(training_engine, kind="sft")
    dpo = make_release(training_engine, kind="dpo")
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    picker = client.get("/admin/training/new")
    assert picker.status_code == 200
    assert f"/admin/training/new?release_id={dpo}" in picker.text

    page = client.get(f"/admin/training/new?release_id={dpo}")
    assert page.status_code == 200
    assert '<option value="dpo" selected>' in page.text
    assert 'name="p_beta"' in page.text
    assert 'name="p_n_epochs"' in page.text
    assert 'name="suffix"' in page.text
    assert 'id="cutoff"' not in page.text  # the fake endpoint is not OpenAI's

    page = client.get(f"/admin/training/new?release_id={sft}&backend=trl")
    assert '<option value="supervised" selected>' in page.text
    assert 'name="p_beta"' not in page.text
    assert 'name="p_lora"' in page.text
    assert 'name="p_learning_rate"' in page.text
    assert "nothing is downloaded" in page.text
    assert client.get("/admin/training/new?release_id=999999").status_code == 404
    assert client.get(f"/admin/training/new?release_id={sft}&backend=nope").status_code == 422


def test_openai_endpoint_shows_the_cutoff(training_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    release = make_release(training_engine)
    make_user(training_engine, "boss", role="admin")
    page = signed_in("boss").get(f"/admin/training/new?release_id={release}")
    assert 'id="cutoff"' in page.text
    assert "2027-01-06" in page.text
    assert "OpenAI stops accepting new fine-tuning jobs on 2027-01-06" in page.text


def test_launch_from_the_form_then_the_run_page_follows_the_run(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    release = make_release(training_engine, kind="sft")
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    response = form_post(client, "/admin/training/runs", {
        "release_id": str(release), "backend": "openai", "base_model": "gpt-4.1-mini-2025-04-14",
        "method": "supervised", "p_n_epochs": "3", "p_batch_size": "", "p_learning_rate_multiplier": "auto",
        "suffix": "web", "seed": "11",
    })  # fmt: skip
    assert response.status_code == 303
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    run = load_run(training_engine, run_id)
    assert run.hyperparameters == {"n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": "auto"}
    assert (run.suffix, run.seed, run.status, run.created_by_id is not None) == ("web", 11, "pending", True)

    page = client.get(f"/admin/training/runs/{run_id}")
    assert page.status_code == 200
    assert f'hx-get="/admin/training/runs/{run_id}/live" hx-trigger="every 3s"' in page.text
    assert "No metrics yet." in page.text
    assert "Cancel run" in page.text

    # The worker runs the job; polling interval of this run made short for the test.
    with session_scope(training_engine) as session:
        row = session.get_one(TrainingRun, run_id)
        row.options = {**row.options, "poll_seconds": 0.02, "backoff_seconds": 0.01}
        session.add(row)
    assert execute(training_engine, run.job_id or 0).status == "succeeded"

    live = client.get(f"/admin/training/runs/{run_id}/live", headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert live.text.lstrip().startswith('<section id="live"')
    assert "<html" not in live.text
    assert "hx-trigger" not in live.text
    finished = load_run(training_engine, run_id)
    assert f"<code>{finished.fine_tuned_model}</code>" in live.text
    assert 'data-metric="train_loss"' in live.text
    assert "<polyline points=" in live.text
    assert "Checkpoints" in live.text
    assert "Step 3/3: training loss" in live.text
    assert 'id="run-status" class="">succeeded' in live.text

    assert f'href="/admin/training/runs/{run_id}"' not in client.get("/admin/training?release_id=999999").text
    runs = client.get(f"/admin/training?release_id={release}")
    assert runs.status_code == 200
    assert f'href="/admin/training/runs/{run_id}"' in runs.text
    assert (finished.fine_tuned_model or "-") in runs.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"p_n_epochs": "0"}, "n_epochs must be ≥ 1, ≤ 50, or auto, not 0"),
        (
            {"p_learning_rate_multiplier": "-1"},
            "learning_rate_multiplier must be &gt; 0, ≤ 100, or auto, not -1",
        ),
        ({"p_batch_size": "two"}, "batch_size must be a whole number, not &#39;two&#39;"),
        ({"method": "dpo"}, "holds sft data, which trains with method supervised, not dpo"),
        ({"base_model": "  "}, "name the base model"),
        ({"suffix": "x" * 65}, "the suffix must be at most 64 printable characters"),
        ({"seed": "abc"}, "the seed must be a whole number"),
        ({"p_nope": "1"}, "unknown hyperparameter &#39;nope&#39; for openai; known: batch_size"),
        ({"extra": "1"}, "unexpected fields: extra"),
    ],
)
def test_invalid_input_comes_back_with_the_reason(
    training_engine: Engine, openai_env: FakeOpenAI, fields: dict[str, str], message: str
) -> None:
    release = make_release(training_engine, kind="sft")
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    data = {
        "release_id": str(release),
        "backend": "openai",
        "base_model": "gpt-4.1-mini-2025-04-14",
        **fields,
    }
    response = form_post(client, "/admin/training/runs", data)
    assert response.status_code == 422
    assert message in response.text
    assert 'id="train-form"' in response.text
    assert runs_count(training_engine) == 0


def test_unknown_fields_and_missing_csrf_are_refused(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    data = {"release_id": str(release), "backend": "openai", "base_model": "m"}
    smuggled = form_post(client, "/admin/training/runs", {**data, "created_by_id": "1", "p_beta": "0.1"})
    assert smuggled.status_code == 422
    assert "unexpected fields: created_by_id" in smuggled.text
    assert "p_beta" not in smuggled.text.split("unexpected fields:", 1)[1].split("<", 1)[0]
    assert client.post("/admin/training/runs", data=data).status_code == 403
    assert runs_count(training_engine) == 0


def test_switching_the_method_leaves_the_other_methods_fields_harmless(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    """The DPO form's p_beta is still in the form after switching to supervised: it is ignored, not an error."""
    release = make_release(training_engine)
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    data = {
        "release_id": str(release),
        "backend": "openai",
        "base_model": "m",
        "method": "supervised",
        "p_beta": "0.1",
    }
    response = form_post(client, "/admin/training/runs", data)
    assert "unexpected fields" not in response.text
    assert runs_count(training_engine) == 1


def test_trl_release_cannot_go_to_openai(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine, format="trl")
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    page = client.get(f"/admin/training/new?release_id={release}")
    assert "the OpenAI API needs a release built in the openai format" in page.text
    assert re.search(r'<button type="submit" class="primary"\s+disabled>', page.text)


def test_cancel_from_the_page(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    response = form_post(client, f"/admin/training/runs/{run_id}/cancel", {})
    assert response.status_code == 303
    assert load_run(training_engine, run_id).status == "cancelled"
    with session_scope(training_engine, read_only=True) as session:
        assert session.get_one(Job, job_id).status == "cancelled"
    again = form_post(client, f"/admin/training/runs/{run_id}/cancel", {})
    assert again.status_code == 409
    assert "already ended (cancelled)" in again.text
    page = client.get(f"/admin/training/runs/{run_id}")
    assert "Cancel run" not in page.text
    assert "cancelled before anything was sent" in page.text


def test_reviewers_and_anonymous_see_nothing(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    run_id, _ = launch(training_engine, release)
    make_user(training_engine, "rev", role="reviewer")
    reviewer = signed_in("rev")
    gets = ["/admin/training", "/admin/training/new", f"/admin/training/new?release_id={release}",
            f"/admin/training/runs/{run_id}", f"/admin/training/runs/{run_id}/live", "/admin/training/settings"]  # fmt: skip
    for url in gets:
        response = reviewer.get(url)
        assert response.status_code == 403, url
        assert "gpt-4.1-mini" not in response.text
        assert anonymous().get(url).status_code == 303, url
    posts = {
        "/admin/training/runs": {"release_id": str(release), "backend": "openai", "base_model": "m"},
        f"/admin/training/runs/{run_id}/cancel": {},
    }
    for url, data in posts.items():
        assert form_post(reviewer, url, data).status_code == 403, url
    assert runs_count(training_engine) == 1
    assert load_run(training_engine, run_id).status == "pending"


def test_untrusted_text_is_escaped(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    payload = "<script>window.__xss=1</script><img src=x onerror=alert(1)>"
    run_id, _ = launch(training_engine, release, base_model=f"model {payload}")
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    for url in ("/admin/training", f"/admin/training/runs/{run_id}"):
        text = client.get(url).text
        assert payload not in text
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in text
        assert "<script>window" not in text
