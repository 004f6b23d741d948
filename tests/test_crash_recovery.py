"""kill -9 of `pairwise import` and of `pairwise releases build`, then a restart: nothing stays `running` or
`building`, the staging folder is gone, and the work can be done again (SQLite and PostgreSQL).

The killed commands run in their own process with one hook: they block at a known point (after the first
chunk is committed; after the release files are written) and say so, so the kill lands mid-operation.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from app.conversations.models import Conversation, ImportBatch
from app.db import session_scope
from app.liveness import STALE_AFTER, owner_gone, owner_tag
from app.models_base import utcnow
from app.releases.models import DatasetRelease
from tests.releases.factories import add_many

ROOT = Path(__file__).resolve().parents[1]

BLOCK_AFTER_FIRST_CHUNK = textwrap.dedent(
    """
    import sys, time
    import app.conversations.import_writer as import_writer
    original = import_writer.Writer.flush
    def flush(self):
        original(self)
        print("BLOCKED", flush=True)
        time.sleep(600)
    import_writer.Writer.flush = flush
    from app.cli import main
    sys.argv = ["pairwise", *sys.argv[1:]]
    main()
    """
)

BLOCK_AFTER_FILES = textwrap.dedent(
    """
    import sys, time
    import app.releases.service as service
    original = service._write_files
    def write_files(*args, **kwargs):
        result = original(*args, **kwargs)
        print("BLOCKED", flush=True)
        time.sleep(600)
        return result
    service._write_files = write_files
    from app.cli import main
    sys.argv = ["pairwise", *sys.argv[1:]]
    main()
    """
)


def _env(engine: Engine, data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "PAIRWISE_MODE": "test", "PAIRWISE_DATA_DIR": str(data_dir),
           "PAIRWISE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "PAIRWISE_IMPORT_CHUNK_SIZE": "10"}  # fmt: skip
    return env


def _run_and_kill(script: str, args: list[str], env: dict[str, str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "BLOCKED", process.stderr.read() if process.stderr else line
        process.send_signal(signal.SIGKILL)
        process.wait()
    finally:
        if process.poll() is None:
            process.kill()


def _pairwise(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _transcripts(path: Path, n: int) -> Path:
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"Q {i}?"},
                    {"role": "assistant", "content": f"A {i}."},
                ]
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_killed_import_is_marked_failed_at_the_next_start_and_resumes(
    engine: Engine, tmp_path: Path
) -> None:
    env = _env(engine, tmp_path / "data")
    source = _transcripts(tmp_path / "t.jsonl", 100)
    _run_and_kill(BLOCK_AFTER_FIRST_CHUNK, ["import", str(source)], env)
    with Session(engine) as session:
        (batch,) = session.execute(select(ImportBatch)).scalars()
        assert batch.status == "running"
        assert batch.owner is not None

    _pairwise(["import", str(source)], env)  # the restart

    with Session(engine) as session:
        batches = session.execute(select(ImportBatch).order_by(col(ImportBatch.id))).scalars().all()
        stored = session.execute(select(func.count()).select_from(Conversation)).scalar_one()
    assert [b.status for b in batches] == ["failed", "succeeded"]
    assert batches[0].message is not None
    assert "interrupted" in batches[0].message
    assert stored == 100
    # The killed run committed its first chunk (10) whole; the rerun adds the other 90.
    assert (batches[1].duplicates, batches[1].conversations_added) == (10, 90)


def test_a_killed_release_build_is_failed_and_its_staging_folder_removed(
    engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        add_many(session, 30)
    data_dir = tmp_path / "data"
    env = _env(engine, data_dir)
    build = ["releases", "build", "--name", "nightly", "--kind", "dpo", "--format", "openai"]
    _run_and_kill(BLOCK_AFTER_FILES, build, env)
    with Session(engine) as session:
        (release,) = session.execute(select(DatasetRelease)).scalars()
        assert release.status == "building"
    staging = data_dir / "releases" / f".{release.id}.building"
    assert staging.is_dir()

    _pairwise(build, env)  # the restart

    with Session(engine) as session:
        releases = session.execute(select(DatasetRelease).order_by(col(DatasetRelease.id))).scalars().all()
    assert [r.status for r in releases] == ["failed", "ready"]
    assert releases[0].error is not None
    assert "interrupted" in releases[0].error
    assert not staging.exists()
    assert sorted(p.name for p in (data_dir / "releases").iterdir()) == [
        str(releases[1].directory).split("/")[-1]
    ]


class TestOwnerGone:
    def test_a_live_owner_with_a_fresh_heartbeat_is_not_gone(self) -> None:
        assert not owner_gone(owner_tag(), utcnow(), now=utcnow())

    def test_a_dead_process_on_this_host_is_gone_at_once(self) -> None:
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        )
        owner = f"{owner_tag().rsplit(':', 1)[0]}:{int(dead.stdout)}"
        assert owner_gone(owner, utcnow(), now=utcnow())

    def test_another_hosts_owner_is_gone_only_when_its_heartbeat_is_silent(self) -> None:
        now = utcnow()
        assert not owner_gone("elsewhere:1", now - timedelta(seconds=5), now=now)
        assert owner_gone("elsewhere:1", now - STALE_AFTER - timedelta(seconds=1), now=now)

    def test_rows_from_before_owners_are_left_alone(self) -> None:
        assert not owner_gone(None, None, now=utcnow())
