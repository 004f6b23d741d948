"""Files hold reviewed data and secrets: the data folder is 700, the database and release files 600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import secure_data_dir
from app.db import build_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual 022 umask of a server account, restored afterwards."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_sqlite_database_and_its_folder_are_owner_only(tmp_path: Path, loose_umask: None) -> None:
    db = tmp_path / "fresh" / "pairwise.db"
    engine = build_engine(f"sqlite:///{db}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    assert _mode(db.parent) == 0o700
    assert _mode(db) == 0o600


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path, loose_umask: None) -> None:
    db = tmp_path / "pairwise.db"
    db.touch(mode=0o644)
    db.chmod(0o644)
    build_engine(f"sqlite:///{db}").dispose()
    assert _mode(db) == 0o600


def test_the_data_folder_is_700_and_later_files_600(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    secure_data_dir(data)
    (data / "upload.jsonl").write_text("x")
    (data / "releases").mkdir()
    assert _mode(data) == 0o700
    assert _mode(data / "upload.jsonl") == 0o600
    assert _mode(data / "releases") == 0o700
