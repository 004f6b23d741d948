"""Pair jobs: re-detection (after a threshold or detector change) and fitting a scorer to the verdicts."""

from __future__ import annotations

from typing import Any

from app.db import session_scope
from app.jobs.runner import JobContext, handler
from app.pairs.learning_service import TRAIN_JOB, train
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


@handler(TRAIN_JOB)
def train_job(ctx: JobContext) -> dict[str, Any]:
    ctx.progress(0, None, message="fitting the scorer to the verdicts")
    with session_scope(ctx.engine) as session:
        model = train(session, user_id=ctx.user_id)
        summary = {
            "model": model.version,
            "trained_on": model.trained_on,
            "held_back": model.held_back,
            "precision": model.precision,
            "recall": model.recall,
        }
    return summary
