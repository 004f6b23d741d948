"""S9: once saved, the fine-tuning API key appears in no page, htmx fragment, log line, error, CLI output,
database row or file, including when the provider echoes it back in a 401."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import session_scope
from app.training.models import TrainingRun
from tests.training.conftest import execute, launch, load_run, make_release
from tests.training.fake_openai import FakeOpenAI
from tests.training.web import signed_in
from tests.web_helpers import csrf, make_user


def needles(key: str) -> list[str]:
    return [key, key[3:-3], key[-16:]]


def test_the_key_never_leaks(
    training_engine: Engine, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], fast_passwords: None,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    good = fake_openai.api_key
    wrong = "sk-proj-WRONG-key-the-provider-echoes-back-7777"
    sft = make_release(training_engine, kind="sft", split=0.2, rows=20)
    trl = make_release(training_engine, kind="dpo", format="trl")
    make_user(training_engine, "boss", role="admin")
    client = signed_in("boss")
    bodies: list[str] = []

    def post(url: str, data: dict[str, str], *, htmx: bool = False) -> str:
        headers = {"HX-Request": "true", "X-CSRF-Token": csrf(client)} if htmx else {}
        response = client.post(
            url, data=data if htmx else {**data, "csrf_token": csrf(client)}, headers=headers
        )
        bodies.append(response.text)
        bodies.extend(f"{k}: {v}" for k, v in response.headers.items())
        return response.headers.get("location") or response.headers.get("hx-redirect") or ""

    def launch_and_run(model: str) -> int:
        location = post(
            "/admin/training/runs", {"release_id": str(sft), "backend": "openai", "base_model": model}
        )
        run_id = int(location.rsplit("/", 1)[1])
        with session_scope(training_engine) as session:
            row = session.get_one(TrainingRun, run_id)
            row.options = {**row.options, "poll_seconds": 0.02, "backoff_seconds": 0.01}
            session.add(row)
        execute(training_engine, load_run(training_engine, run_id).job_id or 0)
        return run_id

    post("/admin/training/settings", {"base_url": fake_openai.base_url, "api_key": good})
    ok_run = launch_and_run("gpt-4.1-mini-2025-04-14")
    assert load_run(training_engine, ok_run).status == "succeeded"
    # Changing the base URL without the key is refused (as an htmx request too).
    post(
        "/admin/training/settings", {"base_url": "https://elsewhere.example.com/v1", "api_key": ""}, htmx=True
    )
    post("/admin/training/settings", {"base_url": fake_openai.base_url, "api_key": wrong})
    failed_run = launch_and_run("gpt-4.1-mini-2025-04-14")
    failed = load_run(training_engine, failed_run)
    assert failed.status == "failed"
    assert "Incorrect API key provided: [redacted]" in (failed.error or "")
    # A key echoed by the provider in the middle of polling is redacted too.
    post("/admin/training/settings", {"base_url": fake_openai.base_url, "api_key": good})
    fake_openai.fail(
        "GET", r"/v1/fine_tuning/jobs/ftjob-\d+", 403, message=f"Key {good} lacks access to this job"
    )
    polled_run = launch_and_run("gpt-4.1-mini-2025-04-14")
    assert load_run(training_engine, polled_run).status == "failed"

    pages = [
        "/admin/training", "/admin/training/new", "/admin/training/settings",
        f"/admin/training/new?release_id={sft}", f"/admin/training/new?release_id={trl}&backend=trl",
    ]  # fmt: skip
    for run_id in (ok_run, failed_run, polled_run):
        pages += [f"/admin/training/runs/{run_id}", f"/admin/training/runs/{run_id}/live"]
    for url in pages:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            bodies.append(response.text)
    post(
        "/admin/training/runs",
        {"release_id": str(sft), "backend": "openai", "base_model": "m", "p_n_epochs": "0"},
    )
    post(f"/admin/training/runs/{ok_run}/cancel", {}, htmx=True)  # 409 toast

    runner = CliRunner()
    for args in (
        ["runs", "list", "--json"],
        ["runs", "list"],
        *(["runs", "show", str(r)] for r in (ok_run, failed_run, polled_run)),
    ):
        result = runner.invoke(cli, args)
        bodies.append(result.output)

    with training_engine.connect() as connection:
        for table in inspect(training_engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                bodies.append(f"{table}: {tuple(row)!r}")
    files = [p for p in Path(get_settings().data_dir).rglob("*") if p.is_file() and p.name != "secret_key"]
    bodies.extend(p.read_bytes().decode("utf-8", "replace") for p in files)
    bodies.extend(record.getMessage() for record in caplog.records)
    bodies.extend(str(record.exc_info) for record in caplog.records if record.exc_info)
    out, err = capfd.readouterr()
    bodies += [out, err]

    assert len(bodies) > 50
    haystack = "\n".join(bodies)
    for key in (good, wrong):
        for needle in needles(key):
            assert needle not in haystack, f"a piece of the key ({needle[:6]}…) leaked"
    assert "key ending in <code>" in haystack  # the last 4 are what is shown


def test_an_unexpected_error_that_echoes_the_key_is_redacted_everywhere(
    training_engine: Engine, openai_env: FakeOpenAI, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """A bug or library error (not a PairwiseError) whose text carries the key: the run, the job and the log
    get the redacted words, never the key."""
    from app.training.backends.openai_api import OpenAIBackend

    key = openai_env.api_key

    def explode(self: OpenAIBackend, driver: object) -> dict[str, object]:
        raise RuntimeError(f"connection reset while sending Authorization: Bearer {key}")

    monkeypatch.setattr(OpenAIBackend, "execute", explode)
    caplog.set_level(logging.DEBUG)
    run_id, job_id = launch(training_engine, make_release(training_engine))
    job = execute(training_engine, job_id)
    run = load_run(training_engine, run_id)
    assert job.status == "failed"
    assert run.status == "failed"
    expected = (
        "unexpected error: RuntimeError: connection reset while sending Authorization: Bearer [redacted]"
    )
    assert run.error == expected
    assert job.error == expected
    for needle in needles(key):
        assert needle not in caplog.text
        assert needle not in (job.error or "")
