"""The release build job: three units of work so the long read never holds SQLite's write lock."""

from __future__ import annotations

from typing import Any

from app.config import get_settings
from app.db import session_scope
from app.jobs.runner import JobContext, handler
from app.liveness import heartbeat
from app.models_base import table_of
from app.releases.models import DatasetRelease
from app.releases.service import claim_release, finish_release, get_release, write_release_files


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
