"""Dataset releases: a database row plus a frozen folder `<data_dir>/releases/<id>-<slug>/`."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app.errors import ConflictError, NotFoundError, ValidationFailedError, public_message
from app.liveness import owner_gone, owner_tag
from app.models_base import utcnow
from app.releases.export.dataset import write_dataset
from app.releases.export.options import ExportOptions
from app.releases.export.split import TRAIN, VALIDATION
from app.releases.export.writers import file_digest
from app.releases.manifest import CARD_NAME, MANIFEST_NAME, dataset_card, manifest_bytes
from app.releases.models import DatasetRelease, ReleaseFormat, ReleaseStatus
from app.releases.names import content_disposition, slugify

log = logging.getLogger(__name__)

RELEASES_DIR = "releases"
MAX_NAME = 200


def create_release(
    session: Session,
    *,
    name: str,
    options: ExportOptions | None = None,
    taxonomy_version_id: int | None = None,
    created_by_id: int | None = None,
    **values: Any,
) -> DatasetRelease:
    """Validate and add the row in status `building` (flushed, not committed); build it next.

    The options come as an ExportOptions or as its fields (`values`), validated here.
    """
    if options is None:
        options = ExportOptions.parse(**values)
    elif values:
        raise TypeError("give the options or their fields, not both")
    release = DatasetRelease(
        name=clean_name(name),
        **options.row_columns(),
        status=ReleaseStatus.building,
        taxonomy_version_id=taxonomy_version_id,
        created_by_id=created_by_id,
    )
    session.add(release)
    session.flush()
    return release


@dataclass(slots=True)
class BuildOutcome:
    """What writing a release's folder produced: the row's new values, or the error in words."""

    directory: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    lint: dict[str, Any] | None = None
    manifest_sha256: str | None = None
    error: str | None = None


def write_release_files(session: Session, *, release: DatasetRelease, data_dir: Path) -> BuildOutcome:
    """Write the files, manifest and card of a release; reads only, so a read-only session does.

    On SQLite a build of 100k pairs takes seconds: run it in a read-only unit of work between the short
    transactions of `create_release` and `finish_release`, so reviewers' writes never wait on it. The folder
    is assembled under a hidden name and renamed at the end: a ready release's folder is always complete,
    and a failed build leaves nothing behind.
    """
    _require_unbuilt(release)
    spec = ExportOptions.of_release(release)
    relative = f"{RELEASES_DIR}/{release.id}-{slugify(release.name)}"
    final = data_dir / relative
    staging = data_dir / RELEASES_DIR / f".{release.id}.building"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(mode=0o700, parents=True)
        written = _write_files(session, release=release, spec=spec, folder=staging)
        _owner_only(staging)
        # A leftover folder of the same id can only come from a build whose transaction rolled back.
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
    except SQLAlchemyError:
        shutil.rmtree(staging, ignore_errors=True)
        raise  # the session is unusable: let the unit of work roll back
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        log.exception("release %s build failed", release.id)
        return BuildOutcome(error=public_message(exc)[:2000])
    return BuildOutcome(
        directory=relative,
        files=[{**f, "path": f"{relative}/{f['name']}"} for f in written["files"]],
        counts=written["counts"],
        lint=written["lint"],
        manifest_sha256=written["manifest_sha256"],
    )


def fail_stale_releases(session: Session, *, data_dir: Path, now: datetime) -> list[int]:
    """Mark `building` releases whose process died failed and remove their half-written folders; their ids."""
    building = session.execute(
        select(DatasetRelease).where(DatasetRelease.status == ReleaseStatus.building)  # type: ignore[arg-type]
    ).scalars()
    stale = [r for r in building if owner_gone(r.owner, r.heartbeat_at, now=now)]
    for release in stale:
        release.status = ReleaseStatus.failed
        release.error = "interrupted: the building process stopped; build the release again"
        session.add(release)
        folder = data_dir / RELEASES_DIR
        shutil.rmtree(folder / f".{release.id}.building", ignore_errors=True)
        # Renamed into place but never recorded as ready: not a release anyone can download.
        for leftover in folder.glob(f"{release.id}-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    session.flush()
    return [r.id for r in stale if r.id is not None]


def _owner_only(folder: Path) -> None:
    """Release files hold reviewed data: readable by the server's user only (600, folders 700)."""
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def finish_release(session: Session, *, release: DatasetRelease, outcome: BuildOutcome) -> DatasetRelease:
    """Record a build's outcome on the row: ready with its files, or failed with the error."""
    _require_unbuilt(release)
    if outcome.error is not None:
        release.status = ReleaseStatus.failed
        release.error = outcome.error
    else:
        release.status = ReleaseStatus.ready
        release.error = None
        release.directory = outcome.directory
        release.files = outcome.files
        release.counts = outcome.counts
        release.lint = outcome.lint
        release.manifest_sha256 = outcome.manifest_sha256
    session.add(release)
    session.flush()
    return release


def claim_release(session: Session, *, release: DatasetRelease) -> DatasetRelease:
    """Record this process as the builder (owner and heartbeat): from now on a crash is noticed."""
    _require_unbuilt(release)
    release.owner, release.heartbeat_at = owner_tag(), utcnow()
    session.add(release)
    session.flush()
    return release


def run_release(session: Session, *, release: DatasetRelease, data_dir: Path) -> DatasetRelease:
    """Write and record in one unit of work (tests, PostgreSQL); see `write_release_files` for SQLite."""
    outcome = write_release_files(session, release=release, data_dir=data_dir)
    return finish_release(session, release=release, outcome=outcome)


def _require_unbuilt(release: DatasetRelease) -> None:
    if release.status == ReleaseStatus.ready:
        raise ConflictError(f"release {release.id} is already built; releases are frozen")


def build_release(
    session: Session,
    *,
    name: str,
    data_dir: Path,
    taxonomy_version_id: int | None = None,
    created_by_id: int | None = None,
    **values: Any,
) -> DatasetRelease:
    """Create, write and record in one unit of work (tests, PostgreSQL); `values` are ExportOptions fields.

    On SQLite a job or command should run the three steps in three units of work instead:
    `create_release` (commit), `write_release_files` (read-only), `finish_release` (commit).
    """
    release = create_release(
        session, name=name, taxonomy_version_id=taxonomy_version_id, created_by_id=created_by_id, **values
    )
    return run_release(session, release=release, data_dir=data_dir)


def _write_files(
    session: Session, *, release: DatasetRelease, spec: ExportOptions, folder: Path
) -> dict[str, Any]:
    suffix = ".parquet" if spec.format == ReleaseFormat.parquet else ".jsonl"
    paths = {TRAIN: folder / f"train{suffix}"}
    if spec.split > 0:
        paths[VALIDATION] = folder / f"validation{suffix}"
    result = write_dataset(session, spec=spec, paths=paths)
    if not sum(f.rows for f in result.files):
        # An empty dataset is not a release anyone can train on: the build fails and says why.
        raise ValueError("no pair matches this release's filters, so there is nothing to export")
    files = [
        {"name": f.path.name, "split": f.split, "rows": f.rows, "sha256": f.sha256, "bytes": f.bytes}
        for f in result.files
    ]
    extra: list[dict[str, Any]] = []
    if spec.format == ReleaseFormat.parquet:
        card = folder / CARD_NAME
        card.write_text(dataset_card(name=release.name, spec=spec, result=result), encoding="utf-8")
        sha, size = file_digest(card)
        extra.append({"name": CARD_NAME, "split": None, "rows": None, "sha256": sha, "bytes": size})
    manifest = manifest_bytes(
        name=release.name, spec=spec, result=result, extra_files=extra,
        taxonomy_version_id=release.taxonomy_version_id,
    )  # fmt: skip
    (folder / MANIFEST_NAME).write_bytes(manifest)
    sha, size = file_digest(folder / MANIFEST_NAME)
    return {
        "files": [
            *files,
            *extra,
            {"name": MANIFEST_NAME, "split": None, "rows": None, "sha256": sha, "bytes": size},
        ],
        "counts": result.counts,
        "lint": result.lint.to_json() if result.lint else None,
        "manifest_sha256": sha,
    }


def clean_name(name: str) -> str:
    """The display name: control characters removed, whitespace collapsed, at most 200 characters."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in name).split())[:MAX_NAME].strip()
    if not cleaned:
        raise ValidationFailedError("a release needs a name")
    return cleaned


def require_new_name(session: Session, *, name: str) -> None:
    """Refuse a release name already in use (case and spacing ignored): names tell releases apart."""
    cleaned = clean_name(name)
    taken = session.execute(
        select(col(DatasetRelease.id)).where(func.lower(col(DatasetRelease.name)) == cleaned.lower())
    ).first()
    if taken is not None:
        raise ConflictError(f"name: release #{taken[0]} is already called {cleaned!r}; choose another name")


def list_releases(
    session: Session, *, limit: int = 100, status: ReleaseStatus | None = None
) -> list[DatasetRelease]:
    """Newest first; `status=ready` lists what can be trained or evaluated."""
    query = select(DatasetRelease).order_by(col(DatasetRelease.id).desc()).limit(limit)
    if status is not None:
        query = query.where(col(DatasetRelease.status) == status)
    return list(session.execute(query).scalars())


def get_release(session: Session, *, release_id: int) -> DatasetRelease:
    release = session.get(DatasetRelease, release_id)
    if release is None:
        raise NotFoundError(f"release {release_id} does not exist")
    return release


def release_file(release: DatasetRelease, *, name: str, data_dir: Path) -> tuple[Path, str]:
    """(path on disk, Content-Disposition value) of one file of a ready release, for downloads.

    Only names recorded on the row are served; the resolved path must stay inside the release folder.
    """
    if release.status != ReleaseStatus.ready or not release.directory:
        raise NotFoundError(f"release {release.id} has no files (status {release.status})")
    entry = next((f for f in release.files if f["name"] == name), None)
    if entry is None:
        raise NotFoundError(f"release {release.id} has no file named {name!r}")
    folder = (data_dir / release.directory).resolve()
    path = (data_dir / entry["path"]).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise NotFoundError(f"file {name!r} of release {release.id} is missing on disk")
    return path, content_disposition(f"{slugify(release.name)}-{release.id}-{name}")
