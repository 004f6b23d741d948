"""Failing what a crashed process left running, at a start that runs no job worker (serve, import, build)."""

from __future__ import annotations

from sqlalchemy import Engine


def reap_stale_operations(engine: Engine) -> dict[str, list[int]]:
    """Mark import batches and release builds whose owner died failed (staging folders removed); ids per kind.

    Job workers do the same through the registry (`on_recover` hooks of conversations and releases jobs),
    at start and every minute; this is for the processes that run none: `serve` without the embedded
    worker, `pairwise import` and `pairwise releases build`.
    """
    from sqlmodel import col, select

    from app.conversations.upkeep import reap_stale_batches
    from app.db import session_scope
    from app.releases.models import DatasetRelease, ReleaseStatus

    batches = reap_stale_batches(engine)
    # The release builder (and its export stack) is imported only when some build is marked running.
    with session_scope(engine, read_only=True) as session:
        building = session.exec(
            select(col(DatasetRelease.id))
            .where(col(DatasetRelease.status) == ReleaseStatus.building)
            .limit(1)
        ).first()
    if building is None:
        return {"batches": batches, "releases": []}
    from app.releases.jobs import reap_stale_releases

    return {"batches": batches, "releases": reap_stale_releases(engine)}
