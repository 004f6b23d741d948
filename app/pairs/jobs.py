"""Pair jobs: re-detection (after a threshold or detector change) and fitting a scorer to the verdicts."""

from __future__ import annotations

from typing import Any

from fastapi import BackgroundTasks
from sqlmodel import Session, col, select

from app.db import session_scope
from app.jobs import service as jobs_service
from app.jobs.models import Job
from app.jobs.runner import JobContext, handler
from app.pairs.learning_service import TRAIN_JOB, train, training_due
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


def start_training_if_due(
    session: Session, background: BackgroundTasks, *, user_id: int | None
) -> Job | None:
    """Queue a training job when enough new verdicts exist and none is queued or running already."""
    waiting = session.exec(
        select(Job).where(col(Job.kind) == TRAIN_JOB, col(Job.status).in_(("queued", "running")))
    ).first()
    if waiting is not None or not training_due(session):
        return None
    job = jobs_service.create_job(session, kind=TRAIN_JOB, payload={}, user_id=user_id)
    assert job.id is not None
    background.add_task(jobs_service.enqueue, job.id)  # runs after the response, i.e. after the commit
    return job
