"""`pairwise serve --workers N`: several web processes on one port, jobs left to `pairwise worker`."""

from __future__ import annotations

import gc
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.main import create_app
from app.web import templates
from tests.web_helpers import start_server


def children_of(pid: int) -> list[int]:
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == pid:
            out.append(int(status.parent.name))
    return out


def test_several_workers_need_the_embedded_job_worker_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIRWISE_WORKER_EMBEDDED", "true")
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 1
    assert "set PAIRWISE_WORKER_EMBEDDED=false and run `pairwise worker`" in " ".join(result.output.split())


def test_two_web_processes_serve_one_port(tmp_path: Path) -> None:
    server = start_server(
        f"sqlite:///{tmp_path / 'pairwise.db'}", tmp_path / "data",
        extra_env={"PAIRWISE_WORKER_EMBEDDED": "false"}, extra_args=["--workers", "2"], timeout=90,
    )  # fmt: skip
    try:
        for _ in range(20):
            assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
        # uvicorn's supervisor plus its workers (a spawn helper may be among the children too).
        assert len(children_of(server.process.pid)) >= 2
        assert "Started parent process" in server.log()
        assert "died" not in server.log()
        # Each process works on about two requests per core over both processes at once (app/config.py).
        at_once = Settings(web_processes=2).active_requests()
        assert server.log().count(f"serving {at_once} requests at once") == 2
    finally:
        server.stop()


def test_a_web_process_starts_warm(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> None:
    """Before its first request a process has compiled every page template and frozen what start-up made."""
    monkeypatch.setenv("PAIRWISE_WORKER_EMBEDDED", "false")
    get_settings.cache_clear()
    templates.env.cache.clear()  # type: ignore[union-attr]
    try:
        with TestClient(create_app()):
            assert gc.get_freeze_count() > 0
            compiled = {name for _, name in templates.env.cache}  # type: ignore[union-attr]
            assert compiled == set(templates.env.list_templates(extensions=["html"]))
    finally:
        gc.unfreeze()


def test_the_thread_pool_outnumbers_the_requests_at_once(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    """Every admitted request can always get a pool thread for its next step (app/admission.py)."""
    monkeypatch.setenv("PAIRWISE_WORKER_EMBEDDED", "false")
    monkeypatch.setenv("PAIRWISE_MAX_ACTIVE_REQUESTS", "100")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            assert client.portal is not None  # the app's event loop, after its start-up
            tokens = client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    finally:
        gc.unfreeze()
    assert tokens == 200
