"""compose.yaml, the production layout: every Pairwise service shares the database, queue and data volume; web
processes leave jobs to the workers; the GPU worker reserves a GPU and has the training extra."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.config import WEB_CONNECTION_BUDGET

ROOT = Path(__file__).resolve().parent.parent
PAIRWISE_SERVICES = ("web", "worker", "gpu-worker")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_services_share_database_queue_and_data() -> None:
    services = compose()["services"]
    assert {"db", "redis", *PAIRWISE_SERVICES} == set(services)
    for name in PAIRWISE_SERVICES:
        env = services[name]["environment"]
        assert env["PAIRWISE_DATABASE_URL"].startswith("postgresql://"), name
        assert env["PAIRWISE_REDIS_URL"] == "redis://redis:6379/0", name
        assert env["PAIRWISE_DATA_DIR"] == "/data", name
        assert env["PAIRWISE_MODE"] == "production", name
        assert "data:/data" in services[name]["volumes"], name
        assert set(services[name]["depends_on"]) == {"db", "redis"}, name


def test_the_secret_is_required_not_defaulted() -> None:
    secret = compose()["services"]["web"]["environment"]["PAIRWISE_SECRET_KEY"]
    assert secret.startswith("${PAIRWISE_SECRET_KEY:?")


def test_web_processes_run_no_embedded_worker() -> None:
    web = compose()["services"]["web"]
    assert web["environment"]["PAIRWISE_WORKER_EMBEDDED"] == "false"
    assert web["command"][:2] == ["pairwise", "serve"]
    assert "--workers" in web["command"]


def test_gpu_worker_reserves_a_gpu_and_installs_the_training_extra() -> None:
    gpu = compose()["services"]["gpu-worker"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["build"]["args"]["EXTRAS"] == "[train]"
    device = gpu["deploy"]["resources"]["reservations"]["devices"][0]
    assert device["capabilities"] == ["gpu"]
    assert gpu["command"] == ["pairwise", "worker", "--threads", "1"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'ARG EXTRAS=""' in dockerfile
    assert 'pip install -e ".${EXTRAS}"' in dockerfile


def test_postgres_allows_every_pool() -> None:
    """max_connections covers the web processes' share, each worker's pool and a margin for psql."""
    services = compose()["services"]
    command = " ".join(services["db"]["command"])
    allowed = int(command.split("max_connections=${POSTGRES_MAX_CONNECTIONS:-")[1].split("}")[0])
    workers = int(str(services["worker"]["deploy"]["replicas"]).split(":-")[1].rstrip("}"))

    def pool(name: str) -> int:
        env = services[name]["environment"]
        return int(env["PAIRWISE_DB_POOL_SIZE"]) + int(env["PAIRWISE_DB_MAX_OVERFLOW"])

    assert WEB_CONNECTION_BUDGET + workers * pool("worker") + pool("gpu-worker") + 10 <= allowed
