"""The release build job: three units of work so the long read never holds SQLite's write lock."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from app.config import get_settings
from app.db import session_scope
from app.jobs.runner import JobContext, handler, on_recover
from app.liveness import heartbeat
from app.models_base import table_of, utcnow
from app.releases.models import DatasetRelease
from app.releases.service import (
    claim_release,
    fail_stale_releases,
    finish_release,
    get_release,
    write_release_files,
)

log = logging.getLogger(__name__)


@handler("release")
def release_job(ctx: JobContext) -> dict[str, Any]:
    """Payload: release_id of a row created in status `building`; files are written, then the row finished."""
    release_id = int(ctx.payload["release_id"])
    ctx.progress(0, None, message=f"building release {release_id}")
    with session_scope(ctx.engine) as session:
        claim_release(session, release=get_release(session, release_id=release_id))
    with (
        heartbeat(ctx.engine, table_of(DatasetRelease), release_id),
        session_scope(ctx.engine, read_only=True) as session,
    ):
        release = get_release(session, release_id=release_id)
        outcome = write_release_files(session, release=release, data_dir=get_settings().data_dir)
    with session_scope(ctx.engine) as session:
        release = finish_release(
            session, release=get_release(session, release_id=release_id), outcome=outcome
        )
    return {"release_id": release_id, "status": release.status, "error": release.error}


@on_recover
def reap_stale_releases(engine: Engine) -> list[int]:
    """Fail release builds whose owning process died and remove their staging folders; their ids."""
    with session_scope(engine) as session:
        stale = fail_stale_releases(session, data_dir=get_settings().data_dir, now=utcnow())
    if stale:
        log.warning("release builds marked failed after their process stopped: %s", stale)
    return stale
