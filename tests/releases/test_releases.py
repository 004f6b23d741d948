"""Building releases: the folder, the manifest, the card, the row, and R9 (rebuild is byte-identical)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from datasets import load_dataset
from sqlalchemy import Engine

from app.db import session_scope
from app.errors import ConflictError, NotFoundError, ValidationFailedError
from app.pairs.models import PairStatus
from app.releases.models import DatasetRelease, ReleaseStatus
from app.releases.service import (
    build_release,
    create_release,
    finish_release,
    get_release,
    list_releases,
    release_file,
    run_release,
    write_release_files,
)
from tests.releases.factories import add_judgment, add_many, add_pair, add_taxonomy_version, add_user
from tests.releases.openai_validator import assert_valid


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build(engine: Engine, data_dir: Path, **kwargs: Any) -> DatasetRelease:
    with session_scope(engine) as session:
        release = build_release(session, data_dir=data_dir, **kwargs)
    _validate_openai(release, data_dir)
    return release


def _validate_openai(release: DatasetRelease, data_dir: Path) -> None:
    """Every OpenAI file a release writes passes the independent validator."""
    if release.format != "openai" or release.status != ReleaseStatus.ready:
        return
    for entry in release.files:
        if entry["split"] is not None:
            assert_valid(data_dir / entry["path"], kind=release.kind, training=entry["split"] == "train")


def _seed(engine: Engine) -> int:
    with session_scope(engine) as session:
        add_many(session, 40)
        add_pair(session, system_prompt="Be precise.", question="Same question?")
        add_pair(session, question="  same   QUESTION? ")
        gold = add_pair(session, question="Gold?", chosen="Original chosen")
        add_judgment(session, pair=gold.pair, reviewer=add_user(session), edited_text="Gold edit")
        add_pair(session, status=PairStatus.tie, question="A tie")
        return add_taxonomy_version(session)


@pytest.mark.parametrize(
    ("kind", "format"), [("dpo", "openai"), ("sft", "trl"), ("dpo", "parquet"), ("sft", "parquet")]
)
def test_rebuild_is_byte_identical(release_engine: Engine, data_dir: Path, kind: str, format: str) -> None:
    taxonomy = _seed(release_engine)
    params = {"name": "v1 release", "kind": kind, "format": format, "split": 0.2, "seed": 7}
    one = _build(release_engine, data_dir, taxonomy_version_id=taxonomy, **params)
    two = _build(release_engine, data_dir, taxonomy_version_id=taxonomy, **params)
    assert one.status == two.status == ReleaseStatus.ready
    assert one.directory != two.directory
    names = sorted(f["name"] for f in one.files)
    assert names == sorted(f["name"] for f in two.files)
    assert one.directory is not None
    assert two.directory is not None
    for name in names:
        a, b = data_dir / one.directory / name, data_dir / two.directory / name
        assert a.read_bytes() == b.read_bytes(), name
    assert [f["sha256"] for f in one.files] == [f["sha256"] for f in two.files]
    assert one.manifest_sha256 == two.manifest_sha256


def test_release_folder_manifest_and_row(release_engine: Engine, data_dir: Path) -> None:
    taxonomy = _seed(release_engine)
    with session_scope(release_engine) as session:
        user = add_user(session, "admin")
    release = _build(
        release_engine, data_dir, name="Ünïcode / ../ release", kind="dpo", format="openai", split=0.25, seed=3,
        taxonomy_version_id=taxonomy, created_by_id=user.id,
    )  # fmt: skip
    assert release.status == ReleaseStatus.ready
    assert release.error is None
    assert release.directory == f"releases/{release.id}-unicode-release"
    folder = data_dir / release.directory
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "train.jsonl", "validation.jsonl"]
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    assert manifest["name"] == "Ünïcode / ../ release"
    assert manifest["taxonomy_version_id"] == taxonomy
    assert manifest["filters"]["status"] == "accepted"
    assert manifest["split"] == {"validation_fraction": 0.25, "seed": 3, "grouped_by": "normalized prompt"}
    # The tie is excluded: 40 + 3 accepted pairs.
    assert manifest["counts"]["total"] == 43
    assert manifest["counts"]["gold_edited"] == 1
    for entry in manifest["files"]:
        path = folder / entry["name"]
        assert entry["sha256"] == _sha(path)
        assert entry["bytes"] == path.stat().st_size
        assert entry["rows"] == len(path.read_bytes().splitlines())
    assert manifest["lint"]["has_errors"] is False
    assert manifest["lint"]["rows"] == {
        "train": manifest["counts"]["train"],
        "validation": manifest["counts"]["validation"],
    }
    assert release.manifest_sha256 == _sha(folder / "manifest.json")
    assert {f["name"]: f["path"] for f in release.files}["train.jsonl"] == f"{release.directory}/train.jsonl"
    assert release.counts == manifest["counts"]
    assert release.lint == manifest["lint"]
    assert not any(p.name.startswith(".") for p in (data_dir / "releases").iterdir())
    with session_scope(release_engine, read_only=True) as session:
        stored = get_release(session, release_id=release.id or 0)
        assert stored.created_by_id == user.id
        assert stored.files == release.files
        assert [r.id for r in list_releases(session)] == [release.id]


def test_parquet_release_has_a_dataset_card_that_datasets_reads(
    release_engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    _seed(release_engine)
    release = _build(release_engine, data_dir, name="cards", kind="sft", format="parquet", split=0.2, seed=1)
    assert release.directory is not None
    folder = data_dir / release.directory
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n")
    assert "path: validation.parquet" in card
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    assert {f["name"] for f in manifest["files"]} == {"train.parquet", "validation.parquet", "README.md"}
    dataset = load_dataset(str(folder), cache_dir=str(tmp_path / "hf-cache"))
    assert set(dataset) == {"train", "validation"}
    assert dataset["train"].num_rows == manifest["counts"]["train"]
    assert dataset["validation"].num_rows == manifest["counts"]["validation"]


def test_a_failed_build_marks_the_row_and_leaves_no_folder(release_engine: Engine, tmp_path: Path) -> None:
    _seed(release_engine)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    release = _build(release_engine, blocker, name="doomed", kind="sft", format="openai")
    assert release.status == ReleaseStatus.failed
    assert release.error
    assert "Error" in release.error
    assert release.files == []
    assert release.directory is None
    with session_scope(release_engine, read_only=True) as session:
        assert get_release(session, release_id=release.id or 0).status == ReleaseStatus.failed


def test_a_ready_release_is_frozen(release_engine: Engine, data_dir: Path) -> None:
    _seed(release_engine)
    with session_scope(release_engine) as session:
        release = build_release(session, name="frozen", kind="sft", format="openai", data_dir=data_dir)
        _validate_openai(release, data_dir)
        with pytest.raises(ConflictError):
            run_release(session, release=release, data_dir=data_dir)


def test_invalid_requests_are_refused_before_anything_is_written(
    release_engine: Engine, data_dir: Path
) -> None:
    bad: list[dict[str, Any]] = [
        {"name": "x", "kind": "rlhf", "format": "openai"},
        {"name": "x", "kind": "sft", "format": "csv"},
        {"name": "x", "kind": "sft", "format": "openai", "status": "tie"},
        {"name": "x", "kind": "sft", "format": "openai", "status": "not_a_pair"},
        {"name": "x", "kind": "sft", "format": "openai", "split": 1.0},
        {"name": "x", "kind": "sft", "format": "openai", "split": -0.1},
        {"name": "  \x00\n ", "kind": "sft", "format": "openai"},
        {"name": "x", "kind": "sft", "format": "openai", "system_policy": "set"},
        {"name": "x", "kind": "sft", "format": "trl", "dpo_style": "standard"},
        {"name": "x", "kind": "dpo", "format": "parquet", "dpo_style": "standard"},
        {"name": "x", "kind": "dpo", "format": "openai", "patterns_present": ["a"], "patterns_absent": ["a"]},
    ]
    for params in bad:
        with session_scope(release_engine) as session, pytest.raises(ValidationFailedError):
            build_release(session, data_dir=data_dir, **params)
    with session_scope(release_engine, read_only=True) as session:
        assert list_releases(session) == []
    assert not (data_dir / "releases").exists()


def test_release_file_serves_only_recorded_files(release_engine: Engine, data_dir: Path) -> None:
    _seed(release_engine)
    release = _build(release_engine, data_dir, name='My "release" ✓', kind="sft", format="openai")
    path, header = release_file(release, name="train.jsonl", data_dir=data_dir)
    assert release.directory is not None
    assert path == (data_dir / release.directory / "train.jsonl").resolve()
    assert header == (
        f'attachment; filename="my-release-{release.id}-train.jsonl"; '
        f"filename*=UTF-8''my-release-{release.id}-train.jsonl"
    )
    for name in ("../../pairwise.db", "/etc/passwd", "..\\x", "train.jsonl\x00", "missing.jsonl"):
        with pytest.raises(NotFoundError):
            release_file(release, name=name, data_dir=data_dir)
    with session_scope(release_engine, read_only=True) as session, pytest.raises(NotFoundError):
        get_release(session, release_id=9999)


def test_the_long_build_step_only_reads_so_writers_are_not_blocked(
    release_engine: Engine, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create (short write) -> write files (read-only unit of work) -> finish (short write), as the CLI does."""
    import app.releases.export.dataset as export_module

    _seed(release_engine)
    real = export_module.iter_release_pairs
    written_meanwhile: list[int] = []

    def read_while_someone_writes(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for index, pair in enumerate(real(*args, **kwargs)):
            if index == 5:
                with session_scope(release_engine) as other:  # a reviewer's write, mid-build
                    written_meanwhile.append(add_user(other, "meanwhile").id or 0)
            yield pair

    monkeypatch.setattr(export_module, "iter_release_pairs", read_while_someone_writes)
    with session_scope(release_engine) as session:
        release = create_release(session, name="steps", kind="dpo", format="openai", split=0.1)
    assert release.status == ReleaseStatus.building
    with session_scope(release_engine, read_only=True) as session:
        outcome = write_release_files(session, release=release, data_dir=data_dir)
    assert written_meanwhile
    with session_scope(release_engine) as session:
        done = finish_release(
            session, release=get_release(session, release_id=release.id or 0), outcome=outcome
        )
    assert done.status == ReleaseStatus.ready
    _validate_openai(done, data_dir)
    assert done.counts["total"] == 43
    assert (data_dir / (done.directory or "") / "train.jsonl").exists()
