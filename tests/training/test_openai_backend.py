"""The OpenAI-compatible backend against a real local HTTP server: launch, poll, failures, back-off, cancel."""

from __future__ import annotations

import threading
import time

import orjson
import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from app.config import get_settings
from app.db import session_scope
from app.errors import ValidationFailedError
from app.jobs.models import Job
from app.jobs.service import cancel_job
from app.training.models import RunMetric
from app.training.provider import save_credentials
from app.training.secrets import instance_id
from app.training.service import cancel_run
from tests.training.conftest import events_of, execute, launch, load_run, make_release
from tests.training.fake_openai import FakeOpenAI


def metrics_of(engine: Engine, run_id: int) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    with session_scope(engine, read_only=True) as session:
        for m in session.execute(select(RunMetric).where(col(RunMetric.run_id) == run_id)).scalars():
            out.setdefault(m.name, {})[m.step] = m.value
    return out


def test_supervised_run_uploads_creates_and_follows_to_success(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    release = make_release(training_engine, kind="sft", split=0.25, rows=20)
    run_id, job_id = launch(training_engine, release, params={"n_epochs": "2"}, suffix="my-model", seed=7)
    job = execute(training_engine, job_id)
    assert job.status == "succeeded", job.error
    assert job.result
    assert job.result["fine_tuned_model"].startswith("ft:")

    run = load_run(training_engine, run_id)
    assert run.status == "succeeded"
    assert run.remote_status == "succeeded"
    assert run.fine_tuned_model == openai_env.jobs[run.remote_job_id or ""]["fine_tuned_model"]
    assert (run.fine_tuned_model or "").startswith("ft:gpt-4.1-mini-2025-04-14:pairwise-test:my-model:")
    assert run.trained_tokens == 1234
    assert run.error is None
    assert run.started_at is not None
    assert run.finished_at is not None

    uploads = openai_env.calls("POST", "/v1/files")
    assert [u.body["purpose"] for u in uploads] == ["fine-tune", "fine-tune"]
    names = [u.body["file"][1] for u in uploads]
    assert names == [
        f"pairwise-release-{release}-train.jsonl",
        f"pairwise-release-{release}-validation.jsonl",
    ]
    rows = [orjson.loads(line) for line in uploads[0].body["file"][0].splitlines()]
    assert all(set(r) == {"messages"} for r in rows)

    (create,) = openai_env.calls("POST", "/v1/fine_tuning/jobs")
    body = create.body
    assert body["model"] == "gpt-4.1-mini-2025-04-14"
    assert body["training_file"] == run.training_file_id
    assert body["validation_file"] == run.validation_file_id
    assert body["method"] == {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {"n_epochs": 2, "batch_size": "auto", "learning_rate_multiplier": "auto"}
        },
    }
    assert body["suffix"] == "my-model"
    assert body["seed"] == 7
    assert body["metadata"] == {
        "pairwise_run_id": str(run_id), "pairwise_instance": instance_id(), "pairwise_release_id": str(release),
    }  # fmt: skip
    # Before creating, the provider was asked for a job carrying this run's metadata.
    (lookup,) = openai_env.calls("GET", "/v1/fine_tuning/jobs")
    assert ("metadata[pairwise_run_id]", str(run_id)) in lookup.query

    events = events_of(training_engine, run_id)
    messages = [e.message for e in events]
    statuses = [e.message for e in events if e.kind == "status"]
    assert statuses[0].startswith("run created")
    assert [s.split(": ")[-1] for s in statuses if s.startswith("provider status")] == ["queued", "running"]
    assert any("Step 3/3: training loss" in m for m in messages)
    assert messages[-1].startswith("the provider job succeeded: model ft:")
    remote_ids = [e.remote_id for e in events if e.remote_id]
    assert len(remote_ids) == len(set(remote_ids)), "a provider event was stored twice"
    assert sum(e.kind == "checkpoint" for e in events) == 2
    provider_events = sum(len(v) for v in openai_env.events.values())
    assert sum(1 for e in events if e.remote_id and e.remote_id.startswith("ftevent")) == provider_events

    metrics = metrics_of(training_engine, run_id)
    assert metrics["train_loss"] == {1: 2.0, 2: 1.0, 3: pytest.approx(0.6667)}
    assert set(metrics["valid_loss"]) == {2, 3}  # from the checkpoints
    assert run.step == 3
    assert run.total_steps == 3


def test_dpo_run_sends_the_dpo_method_with_beta(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine, kind="dpo")
    run_id, job_id = launch(training_engine, release, params={"beta": "0.25", "batch_size": "4"})
    assert execute(training_engine, job_id).status == "succeeded"
    (create,) = openai_env.calls("POST", "/v1/fine_tuning/jobs")
    assert create.body["method"] == {
        "type": "dpo",
        "dpo": {
            "hyperparameters": {
                "n_epochs": "auto",
                "batch_size": 4,
                "learning_rate_multiplier": "auto",
                "beta": 0.25,
            }
        },
    }
    rows = [
        orjson.loads(line) for line in openai_env.calls("POST", "/v1/files")[0].body["file"][0].splitlines()
    ]
    assert set(rows[0]) == {"input", "preferred_output", "non_preferred_output"}
    assert load_run(training_engine, run_id).method == "dpo"


def test_a_job_that_fails_shows_the_providers_error_object(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release, base_model="gpt-fail-test")
    job = execute(training_engine, job_id)
    run = load_run(training_engine, run_id)
    assert run.status == "failed"
    assert run.remote_status == "failed"
    assert run.error == (
        "The job failed due to an invalid training file: line 2 has no assistant message. "
        "(code invalid_training_file, param training_file)"
    )
    assert job.status == "failed"
    assert job.error == run.error
    assert events_of(training_engine, run_id)[-1].level == "error"


def test_wrong_key_401_fails_with_the_providers_words_and_no_key(
    training_engine: Engine, openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "sk-wrong-key-that-the-provider-echoes-4242"
    monkeypatch.setenv("OPENAI_API_KEY", wrong)
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    job = execute(training_engine, job_id)
    run = load_run(training_engine, run_id)
    assert run.status == "failed"
    assert (
        "The fine-tuning provider refused the job lookup (HTTP 401 Unauthorized: Incorrect API key provided:"
        in (run.error or "")
    )
    assert "Check the API key in Training settings" in (run.error or "")
    assert "[redacted]" in (run.error or "")
    for text in (run.error, job.error, *(e.message for e in events_of(training_engine, run_id))):
        assert wrong not in (text or "")
        assert wrong[:-4] not in (text or "")
    assert openai_env.calls("POST", "/v1/fine_tuning/jobs") == []


def test_rate_limits_and_5xx_back_off_and_recover(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    openai_env.fail("POST", "/v1/files", 429, times=2, headers={"retry-after": "0"})
    openai_env.fail("POST", "/v1/fine_tuning/jobs", 500, times=1)
    openai_env.fail("GET", r"/v1/fine_tuning/jobs/ftjob-\d+", 503, times=3)
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    assert execute(training_engine, job_id).status == "succeeded"
    assert len(openai_env.calls("POST", "/v1/files")) == 3
    assert len(openai_env.jobs) == 1, "a retried create made a second job"
    messages = [(e.level, e.message) for e in events_of(training_engine, run_id)]
    assert (
        "warn",
        "the upload of train.jsonl: HTTP 429 Too Many Requests: Rate limit reached for requests; retrying in 0 s",
    ) in messages
    assert any(level == "warn" and "creating the job: HTTP 500" in m for level, m in messages)
    # Three failed polls in a row are one warning (then one recovery line), not three.
    assert sum("polling: HTTP 503" in m for _, m in messages) == 1
    assert ("info", "polling: the provider answers again") in messages
    assert load_run(training_engine, run_id).status == "succeeded"


def test_a_provider_that_stays_down_fails_the_launch_in_words(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    openai_env.fail("GET", "/v1/fine_tuning/jobs", 500, times=100)
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    assert execute(training_engine, job_id).status == "failed"
    error = load_run(training_engine, run_id).error or ""
    assert error.startswith(
        "The fine-tuning provider stayed unavailable while the job lookup (8 attempts; last answer HTTP 500"
    )
    assert openai_env.calls("POST", "/v1/fine_tuning/jobs") == []


@pytest.mark.parametrize(
    ("model", "failure", "expected"),
    [
        ("gpt-unavailable-model", None, "(HTTP 404 Not Found: The model `gpt-unavailable-model` does not exist or you do not have access to it.)"),
        ("gpt-4.1-mini-2025-04-14", "Training file has 3 examples; at least 10 are required.", "(HTTP 400 Bad Request: Training file has 3 examples; at least 10 are required.)"),
    ],
)  # fmt: skip
def test_4xx_on_create_shows_the_providers_message(
    training_engine: Engine, openai_env: FakeOpenAI, model: str, failure: str | None, expected: str
) -> None:
    if failure:
        openai_env.fail("POST", "/v1/fine_tuning/jobs", 400, message=failure)
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release, base_model=model)
    job = execute(training_engine, job_id)
    run = load_run(training_engine, run_id)
    assert run.status == "failed"
    assert job.status == "failed"
    assert run.error == f"The fine-tuning provider refused the fine-tuning job {expected}."
    assert len(openai_env.calls("POST", "/v1/fine_tuning/jobs")) == 1


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_cancel_from_the_run_stops_the_provider_job(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release, base_model="gpt-slow-test")
    worker = threading.Thread(target=execute, args=(training_engine, job_id))
    worker.start()
    wait_for(lambda: load_run(training_engine, run_id).status == "running")
    with session_scope(training_engine) as session:
        assert cancel_run(session, run_id=run_id).status == "cancelling"
    worker.join(timeout=20)
    assert not worker.is_alive()
    run = load_run(training_engine, run_id)
    assert run.status == "cancelled"
    assert run.remote_status == "cancelled"
    assert len(openai_env.calls("POST", r"/v1/fine_tuning/jobs/ftjob-\d+/cancel")) == 1
    with session_scope(training_engine, read_only=True) as session:
        assert session.get_one(Job, job_id).status == "cancelled"


def test_cancel_before_anything_was_sent(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    with session_scope(training_engine) as session:
        assert cancel_run(session, run_id=run_id).status == "cancelled"
    assert execute(training_engine, job_id).status == "cancelled"
    assert openai_env.requests == []


def test_a_lost_create_answer_never_makes_a_second_job(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    """R7 without a crash: the provider created the job but its answer never arrived."""
    openai_env.drop_create_answers = 1
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    assert execute(training_engine, job_id).status == "succeeded"
    assert len(openai_env.calls("POST", "/v1/fine_tuning/jobs")) == 1
    (remote,) = openai_env.jobs.values()
    assert load_run(training_engine, run_id).remote_job_id == remote["id"]
    assert any("although its answer was lost" in e.message for e in events_of(training_engine, run_id))


def test_lookup_checks_metadata_itself_when_the_provider_ignores_the_filter(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    openai_env.ignore_metadata_filter = True
    release = make_release(training_engine)
    first, job_a = launch(training_engine, release)
    assert execute(training_engine, job_a).status == "succeeded"
    openai_env.drop_create_answers = 1
    second, job_b = launch(training_engine, release)
    assert execute(training_engine, job_b).status == "succeeded"
    a, b = load_run(training_engine, first), load_run(training_engine, second)
    assert a.remote_job_id != b.remote_job_id
    assert openai_env.jobs[b.remote_job_id or ""]["metadata"]["pairwise_run_id"] == str(second)
    assert len(openai_env.jobs) == 2


def test_saved_credentials_are_used_instead_of_the_environment(
    training_engine: Engine, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # would fail if used
    with session_scope(training_engine) as session:
        save_credentials(session, base_url=fake_openai.base_url, api_key=fake_openai.api_key, user_id=None)
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    assert execute(training_engine, job_id).status == "succeeded"
    assert {r.authorization for r in fake_openai.requests} == {f"Bearer {fake_openai.api_key}"}
    assert load_run(training_engine, run_id).options["base_url"] == fake_openai.base_url


def test_no_key_anywhere_fails_in_words(training_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    release = make_release(training_engine)
    # Refused at launch (issue 11): no run is created that could only fail later.
    with pytest.raises(
        ValidationFailedError, match="No fine-tuning API key: an admin saves one in Training settings"
    ):
        launch(training_engine, release)


def test_cancel_during_upload_creates_no_provider_job(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    openai_env.fail("POST", "/v1/files", 429, times=4, headers={"retry-after": "0.2"})
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release)
    result: dict[str, Job] = {}
    worker = threading.Thread(target=lambda: result.update(job=execute(training_engine, job_id)))
    worker.start()
    wait_for(lambda: load_run(training_engine, run_id).status == "uploading")
    with session_scope(training_engine) as session:
        assert cancel_run(session, run_id=run_id).status == "cancelling"
    worker.join(timeout=20)
    run = load_run(training_engine, run_id)
    assert run.status == "cancelled"
    assert result["job"].status == "cancelled"
    assert openai_env.jobs == {}
    assert events_of(training_engine, run_id)[-1].message == "cancelled before the provider job was created"


def test_cancelling_the_job_row_cancels_the_provider_job(
    training_engine: Engine, openai_env: FakeOpenAI
) -> None:
    release = make_release(training_engine)
    run_id, job_id = launch(training_engine, release, base_model="gpt-slow-test")
    worker = threading.Thread(target=execute, args=(training_engine, job_id))
    worker.start()
    wait_for(lambda: load_run(training_engine, run_id).status == "running")
    with session_scope(training_engine) as session:
        cancel_job(session, job_id=job_id)
    worker.join(timeout=20)
    run = load_run(training_engine, run_id)
    assert run.status == "cancelled"
    assert run.cancel_requested
    assert len(openai_env.calls("POST", r"/v1/fine_tuning/jobs/ftjob-\d+/cancel")) == 1


def test_cancel_while_the_provider_is_unreachable_stops_at_once_and_names_the_url(
    training_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: Cancel was ignored through every retry (minutes) and the message did not say where."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unreachable-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    # A local provider that is down: loopback is allowed by the operator's opt-in, the port refuses.
    monkeypatch.setenv("PAIRWISE_ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()
    release = make_release(training_engine)
    # Retries 2 s apart: eight attempts would take minutes, so only a cancel can end this run quickly.
    run_id, job_id = launch(training_engine, release, backoff_seconds=2.0)
    result: dict[str, Job] = {}
    worker = threading.Thread(target=lambda: result.update(job=execute(training_engine, job_id)))
    worker.start()
    wait_for(lambda: any("retrying" in e.message for e in events_of(training_engine, run_id)))
    with session_scope(training_engine) as session:
        cancel_run(session, run_id=run_id)
    worker.join(timeout=30)
    assert not worker.is_alive()
    run = load_run(training_engine, run_id)
    assert run.status == "cancelled"
    messages = [e.message for e in events_of(training_engine, run_id)]
    assert any("could not connect to the provider at http://127.0.0.1:9/v1/" in m for m in messages), messages
    assert "cancelled while" in messages[-1]
