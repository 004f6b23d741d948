"""A job's page: live progress (htmx polls a partial every second until it ends), report, retry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.auth.deps import AdminUser
from app.db import SessionDep
from app.jobs.models import ACTIVE, Job, JobStatus
from app.jobs.runner import REPORTS, load_handlers
from app.jobs.service import STALE_AFTER, enqueue_after_response, get_job, retry_job
from app.models_base import utcnow
from app.params import PathId
from app.settings.service import audit
from app.web import hx_redirect, polled_block, render

router = APIRouter(prefix="/admin/jobs")


def _percent(job: Job) -> int | None:
    if job.status == JobStatus.succeeded:
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
    """What the job page and its polled partial show; the kind's report once the job has ended."""
    active = job.status in ACTIVE
    silent = utcnow() - job.heartbeat_at if job.heartbeat_at and job.status == JobStatus.running else None
    context: dict[str, Any] = {
        "job": job,
        "active": active,
        "percent": _percent(job),
        "stalled": silent is not None and silent > STALE_AFTER,
        "batch": None,
        "size": size,
    }
    load_handlers()
    hook = REPORTS.get(job.kind)
    if hook is not None and not active:
        context.update(hook(session, job))
    return context


@router.get("/{job_id}", response_class=HTMLResponse)
@router.get("/{job_id}/status", response_class=HTMLResponse)
def job_page(request: Request, session: SessionDep, user: AdminUser, job_id: PathId) -> Response:
    """The job page; `/status` is the partial it polls (once the job has ended it carries no trigger, so polling
    stops)."""
    job = get_job(session, job_id=job_id)
    return render(
        request, "jobs/detail.html", job_context(session, job), block=polled_block(request, "status")
    )


@router.post("/{job_id}/retry")
def retry(
    request: Request, session: SessionDep, user: AdminUser, job_id: PathId, background: BackgroundTasks
) -> Response:
    """Queue a failed or cancelled job again (409 for any other state); it is enqueued after the commit."""
    retry_job(session, job_id=job_id)
    audit(session, user_id=user.id, action="job.retry", object_type="job", object_id=job_id)
    enqueue_after_response(background, job_id)
    return hx_redirect(request, f"/admin/jobs/{job_id}")
