"""The detection page: which scorer ranks the queue, models fitted to verdicts, retrain and roll back."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.auth.deps import AdminUser
from app.db import SessionDep
from app.jobs.service import start_job
from app.pairs import learning_service
from app.pairs.detection import DETECTOR_VERSION
from app.settings.service import audit
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/detection")

NOTICES = {
    "activated": "The queue is now ranked by the chosen model.",
    "rules": "Back to the rule-based scorer: a re-detection job is restoring its scores.",
}


def _audit(session: Session, *, user_id: int | None, action: str, object_id: object) -> None:
    audit(session, user_id=user_id, action=action, object_type="detection_model", object_id=object_id)


def _start(session: Session, background: BackgroundTasks, *, kind: str, user_id: int | None) -> int:
    job = start_job(session, background, kind=kind, payload={}, user_id=user_id)
    assert job.id is not None
    return job.id


@router.get("", response_class=HTMLResponse)
def detection_page(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    notice: Literal["activated", "rules"] | None = Query(default=None),
) -> Response:
    return render(
        request,
        "pairs/detection.html",
        {
            "rules": DETECTOR_VERSION,
            "active": learning_service.active_model(session),
            "models": learning_service.list_models(session),
            "counts": learning_service.label_counts(session),
            "due": learning_service.training_due(session),
            "by_detector": learning_service.scored_by_model(session),
            "min_labels": learning_service.MIN_LABELS,
            "min_per_class": learning_service.MIN_PER_CLASS,
            "retrain_after": learning_service.RETRAIN_AFTER,
            "notice": NOTICES.get(notice or ""),
        },
    )


@router.post("/train")
def train_now(
    request: Request, session: SessionDep, user: AdminUser, background: BackgroundTasks
) -> Response:
    """Queue a training job now (it fails, in words, when there are too few verdicts)."""
    job_id = _start(session, background, kind=learning_service.TRAIN_JOB, user_id=user.id)
    _audit(session, user_id=user.id, action="detection.train", object_id=job_id)
    return hx_redirect(request, f"/admin/jobs/{job_id}")


@router.post("/models/{model_id}/activate")
def activate_model(
    request: Request, session: SessionDep, user: AdminUser, model_id: int, background: BackgroundTasks
) -> Response:
    learning_service.activate(session, model_id=model_id)
    _audit(session, user_id=user.id, action="detection.activate", object_id=model_id)
    return hx_redirect(request, "/admin/detection?notice=activated")


@router.post("/rules")
def use_rules(
    request: Request, session: SessionDep, user: AdminUser, background: BackgroundTasks
) -> Response:
    """Stop using any model: rule-based scores come back through a re-detection job."""
    learning_service.activate(session, model_id=None)
    _start(session, background, kind="detect", user_id=user.id)
    _audit(session, user_id=user.id, action="detection.rules", object_id="rules")
    return hx_redirect(request, "/admin/detection?notice=rules")


@router.post("/rollback")
def rollback(request: Request, session: SessionDep, user: AdminUser, background: BackgroundTasks) -> Response:
    """The model trained before the active one, or the rule-based scorer if there is none."""
    previous = learning_service.rollback(session)
    _audit(
        session, user_id=user.id, action="detection.rollback", object_id=previous.id if previous else "rules"
    )
    if previous is None:
        _start(session, background, kind="detect", user_id=user.id)
        return hx_redirect(request, "/admin/detection?notice=rules")
    return hx_redirect(request, "/admin/detection?notice=activated")
