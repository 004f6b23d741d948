"""The detection page: which scorer ranks the queue, models fitted to verdicts, retrain and roll back, and
the model-assisted second opinions on the uncertain band (launched here, display only)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.assist import opinions
from app.assist.jobs import OPINION_JOB
from app.assist.provider import ProviderNotConfiguredError, provider_view
from app.auth.deps import AdminUser
from app.db import SessionDep
from app.errors import ValidationFailedError
from app.jobs.service import start_job
from app.pairs import learning_service
from app.pairs.detection import DETECTOR_VERSION
from app.params import PathId
from app.settings.service import audit, get_value
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/detection")

# The uncertain band offered by default: this far either side of the queue's threshold.
BAND_HALF_WIDTH = 0.15
OPINION_LIMIT, MAX_OPINION_LIMIT = 100, 1000
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
            **_opinion_context(session),
        },
    )


def _opinion_context(session: Session) -> dict[str, object]:
    threshold = float(get_value(session, key="detection_threshold"))
    return {
        "provider": provider_view(session),
        "agreement": opinions.agreement(session),
        "band": (
            round(max(0.0, threshold - BAND_HALF_WIDTH), 2),
            round(min(1.0, threshold + BAND_HALF_WIDTH), 2),
        ),
        "opinion_limit": OPINION_LIMIT,
        "max_opinion_limit": MAX_OPINION_LIMIT,
    }


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
    request: Request, session: SessionDep, user: AdminUser, model_id: PathId, background: BackgroundTasks
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


@router.post("/second-opinions")
def second_opinions(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    background: BackgroundTasks,
    low: Annotated[float, Form(ge=0, le=1)],
    high: Annotated[float, Form(ge=0, le=1)],
    limit: Annotated[int, Form(ge=1, le=MAX_OPINION_LIMIT)] = OPINION_LIMIT,
) -> Response:
    """Ask the suggestion provider about up to `limit` open candidates scored from `low` to `high` (a job)."""
    if low >= high:
        raise ValidationFailedError(f"the band's low end ({low}) must be below its high end ({high})")
    if provider_view(session) is None:
        raise ProviderNotConfiguredError("save a suggestion provider first (Settings → Suggestion provider)")
    payload = {"low": low, "high": high, "limit": limit}
    job_id = start_job(session, background, kind=OPINION_JOB, payload=payload, user_id=user.id).id
    _audit(session, user_id=user.id, action="detection.second_opinions", object_id=job_id)
    return hx_redirect(request, f"/admin/jobs/{job_id}")
