"""The re-detection job, started from the settings page after a threshold or detector change."""

from __future__ import annotations

from typing import Any

from app.db import session_scope
from app.jobs.runner import JobContext, handler
from app.pairs.service import redetect


@handler("detect")
def detect_job(ctx: JobContext) -> dict[str, Any]:
    ctx.progress(0, None, message="re-running detection")
    with session_scope(ctx.engine) as session:
        result = redetect(session)
    return {
        "conversations": result.conversations,
        "added": result.added,
        "rescored": result.rescored,
        "kept_reviewed": result.kept_reviewed,
    }
