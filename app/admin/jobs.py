"""A job's page: live progress (htmx polls a partial every second until it ends), report, retry."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.admin.common import audit, enqueue_after_response
from app.admin.uploads import shown_path
from app.auth.deps import AdminUser
from app.conversations.models import ImportBatch, ImportFile, ImportRecordError
from app.db import SessionDep
from app.jobs.models import Job
from app.jobs.service import STALE_AFTER, get_job, retry_job
from app.models_base import utcnow
from app.params import PathId
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/jobs")

ACTIVE = frozenset({"queued", "running", "cancelling"})
_BATCH_IN_MESSAGE = re.compile(r"import batch (\d+)")


def _batch_id(job: Job) -> int | None:
    """The import batch of an import job: in its result once done, in its progress message before."""
    if job.kind != "import":
        return None
    if job.result and job.result.get("batch_id"):
        return int(job.result["batch_id"])
    match = _BATCH_IN_MESSAGE.search(job.message or "")
    return int(match.group(1)) if match else None


def _percent(job: Job) -> int | None:
    if job.status == "succeeded":
        return 100
    if not job.total:
        return None
    return max(0, min(100, round(100 * job.progress / job.total)))


def size(n: int) -> str:
    """Bytes in words: 512 B, 3.4 KB, 12.0 MB."""
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def job_context(session: Session, job: Job) -> dict[str, Any]:
    """What the job page and its polled partial show; the import report once the job has ended."""
    active = job.status in ACTIVE
    silent = utcnow() - job.heartbeat_at if job.heartbeat_at and job.status == "running" else None
    context: dict[str, Any] = {
        "job": job,
        "active": active,
        "percent": _percent(job),
        "stalled": silent is not None and silent > STALE_AFTER,
        "batch": None,
        "shown_path": shown_path,
        "size": size,
    }
    batch_id = _batch_id(job)
    if batch_id is None or active:
        return context
    context["batch"] = session.get(ImportBatch, batch_id)
    context["files"] = session.execute(
        select(func.count()).select_from(ImportFile).where(col(ImportFile.batch_id) == batch_id)
    ).scalar_one()
    context["errors"] = list(
        session.execute(
            select(ImportRecordError)
            .where(col(ImportRecordError.batch_id) == batch_id)
            .order_by(col(ImportRecordError.id))
        ).scalars()
    )
    return context


@router.get("/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, session: SessionDep, user: AdminUser, job_id: PathId) -> Response:
    job = get_job(session, job_id=job_id)
    return render(request, "admin/job.html", job_context(session, job))


@router.get("/{job_id}/status", response_class=HTMLResponse)
def job_status(request: Request, session: SessionDep, user: AdminUser, job_id: PathId) -> Response:
    """The status partial the job page polls; once the job has ended it carries no trigger, so polling stops."""
    job = get_job(session, job_id=job_id)
    return render(request, "admin/job.html", job_context(session, job), block="status")


@router.post("/{job_id}/retry")
def retry(
    request: Request, session: SessionDep, user: AdminUser, job_id: PathId, background: BackgroundTasks
) -> Response:
    """Queue a failed or cancelled job again (409 for any other state); it is enqueued after the commit."""
    retry_job(session, job_id=job_id)
    audit(session, user_id=user.id, action="job.retry", object_type="job", object_id=job_id)
    enqueue_after_response(background, job_id)
    return hx_redirect(request, f"/admin/jobs/{job_id}")
