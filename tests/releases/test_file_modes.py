"""Release files hold reviewed data: created 600 in a 700 folder, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import Engine

from app.db import session_scope
from app.releases.models import ReleaseStatus
from app.releases.service import build_release
from tests.releases.factories import add_many


def test_release_files_are_owner_only(release_engine: Engine, data_dir: Path) -> None:
    previous = os.umask(0o022)
    try:
        _build_and_check(release_engine, data_dir)
    finally:
        os.umask(previous)


def _build_and_check(release_engine: Engine, data_dir: Path) -> None:
    with session_scope(release_engine) as session:
        add_many(session, 5)
    with session_scope(release_engine) as session:
        release = build_release(session, data_dir=data_dir, name="modes", kind="dpo", format="openai")
    assert release.status == ReleaseStatus.ready
    folder = data_dir / str(release.directory)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
