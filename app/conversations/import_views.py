"""Uploads from the browser become import jobs; batches list and batch reports."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from sqlalchemy import func, select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CSRF_HEADER, AdminUser
from app.auth.models import User
from app.config import get_settings
from app.conversations.models import ImportBatch, ImportFile, ImportRecordError
from app.db import SessionDep
from app.errors import NotFoundError, ValidationFailedError
from app.jobs.service import start_job
from app.listing import PAGE_SIZE, QueryModel, keyset_page
from app.settings.service import audit
from app.uploads import LimitedUploadRoute, copy_parsed_form, stream_to_folder, upload_limit
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/imports")
upload_router = APIRouter(prefix="/admin/imports", route_class=LimitedUploadRoute)

ERRORS_PAGE = 100
MAX_SOURCE = 200
_UPLOAD_FOLDER = re.compile(r"^.*[/\\]uploads[/\\][0-9a-f]{32}[/\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown_path(path: str) -> str:
    """A path as the uploader knows it: without the server's upload folder."""
    return _UPLOAD_FOLDER.sub("", path)


class AfterQuery(QueryModel):
    after: int | None = Field(default=None, ge=1)


@router.get("/new", response_class=HTMLResponse)
def upload_form(request: Request, user: AdminUser) -> Response:
    return render(request, "conversations/import_new.html", {"max_mb": upload_limit() // (1024 * 1024)})


def _source(raw: str) -> str:
    source = _CONTROL.sub("", raw).strip()
    if len(source) > MAX_SOURCE:
        raise ValidationFailedError(f"source: at most {MAX_SOURCE} characters")
    return source or "upload"


@upload_router.post("")
async def create_import(
    request: Request, session: SessionDep, user: AdminUser, background: BackgroundTasks
) -> Response:
    """Stream the files into a fresh upload folder and queue an import job for them."""
    folder = (get_settings().data_dir / "uploads" / uuid.uuid4().hex).resolve()
    folder.mkdir(parents=True)
    try:
        # A browser without htmx sends the CSRF token as a form field, so the CSRF check has parsed the
        # form already (bounded by the same size limit); every other request streams straight to disk.
        parsed = request.headers.get(CSRF_HEADER) is None and not getattr(request.state, "via_token", False)
        receive = copy_parsed_form if parsed else stream_to_folder
        saved = await receive(request, folder, file_field="files", fields={"source", "csrf_token"})
        if not saved.files:
            raise ValidationFailedError("files: choose at least one file to upload")
        source = _source(saved.fields.get("source", ""))
        job_id = await run_in_threadpool(_queue_import, session, background, folder, source, user)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return hx_redirect(request, f"/admin/jobs/{job_id}")


def _queue_import(
    session: Session, background: BackgroundTasks, folder: Path, source: str, user: User
) -> int:
    payload = {"folder": str(folder), "source": source}
    job = start_job(session, background, kind="import", payload=payload, user_id=user.id)
    files = sorted(p.name for p in folder.iterdir())
    audit(session, user_id=user.id, action="import.upload", object_type="job", object_id=job.id, files=files)
    assert job.id is not None
    return job.id


@router.get("", response_class=HTMLResponse)
def batches(
    request: Request, session: SessionDep, user: AdminUser, q: Annotated[AfterQuery, Query()]
) -> Response:
    query = select(ImportBatch, col(User.username)).outerjoin(
        User, col(User.id) == col(ImportBatch.created_by_id)
    )
    if q.after is not None:
        query = query.where(col(ImportBatch.id) < q.after)
    rows = session.execute(query.order_by(col(ImportBatch.id).desc()).limit(PAGE_SIZE + 1)).all()
    page = keyset_page(rows, size=PAGE_SIZE, key=lambda r: r[0].id)
    return render(request, "conversations/imports.html", {"page": page})


@router.get("/{batch_id}", response_class=HTMLResponse)
def batch_report(
    request: Request, session: SessionDep, user: AdminUser, batch_id: int, q: Annotated[AfterQuery, Query()]
) -> Response:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFoundError(f"import batch {batch_id} does not exist")
    files = session.execute(
        select(ImportFile).where(col(ImportFile.batch_id) == batch_id).order_by(col(ImportFile.id))
    ).scalars()
    errors = select(ImportRecordError).where(col(ImportRecordError.batch_id) == batch_id)
    if q.after is not None:
        errors = errors.where(col(ImportRecordError.id) > q.after)
    rows = session.execute(errors.order_by(col(ImportRecordError.id)).limit(ERRORS_PAGE + 1)).scalars().all()
    stored = session.execute(
        select(func.count()).select_from(ImportRecordError).where(col(ImportRecordError.batch_id) == batch_id)
    ).scalar_one()
    context = {
        "batch": batch,
        "files": list(files),
        "errors": keyset_page(rows, size=ERRORS_PAGE, key=lambda e: e.id),
        "stored_errors": stored,
        "first_page": q.after is None,
        "shown_path": shown_path,
    }
    return render(request, "conversations/import.html", context)
