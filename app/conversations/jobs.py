"""The import job: files uploaded from the browser, imported with live progress."""

from __future__ import annotations

import logging
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from app.config import get_settings
from app.conversations.files import InputFile, Limits, iter_input_files
from app.conversations.import_views import shown_path
from app.conversations.importing import run_import, start_batch
from app.conversations.models import ImportBatch, ImportFile, ImportRecordError
from app.conversations.search_index import enqueue_indexing
from app.conversations.upkeep import reap_stale_batches
from app.jobs.models import Job
from app.jobs.runner import JobContext, handler, on_recover, on_stale, report

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5
_BATCH_IN_MESSAGE = re.compile(r"import batch (\d+)")


@handler("import")
def import_job(ctx: JobContext) -> dict[str, Any]:
    """Payload: folder (holding the uploaded files), source, and once started batch_id.

    The folder is removed when the import succeeds; a failed or interrupted import keeps it for a retry.
    """
    settings = get_settings()
    folder = Path(ctx.payload["folder"])
    limits = Limits(max_ratio=settings.max_zip_ratio, max_total_bytes=settings.max_zip_total_mb * 1024 * 1024)
    total = sum(
        item.size for item in iter_input_files([folder], limits=limits) if isinstance(item, InputFile)
    )
    batch_id = ctx.payload.get("batch_id")
    if batch_id is None:
        batch_id = start_batch(ctx.engine, source=ctx.payload["source"], user_id=ctx.user_id)
        ctx.remember(batch_id=batch_id)
    ctx.progress(0, total, message=f"import batch {batch_id}")
    done = 0
    last = 0.0

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_SECONDS:
            last = now
            ctx.progress(min(done, total), total)

    summary = run_import(
        ctx.engine,
        paths=[folder],
        source=ctx.payload["source"],
        batch_id=batch_id,
        chunk_size=settings.import_chunk_size,
        limits=limits,
        progress=advance,
    )
    ctx.progress(total, total, message=f"import batch {batch_id}")
    shutil.rmtree(folder, ignore_errors=True)
    if summary.conversations_added:
        enqueue_indexing(ctx.engine, user_id=ctx.user_id)  # the full-text index follows the import
    result = summary.to_json()
    result["errors"] = result["errors"][:200]
    # The batch report has every file; the job keeps a bounded preview.
    result["per_file"] = result["per_file"][:200]
    return result


@on_stale("import")
def fail_interrupted_batch(session: Session, job: Job, now: datetime) -> None:
    """The batch of an import whose worker died is failed too: its stored conversations are whole, and a
    retry resumes it (the conversations already stored count as duplicates)."""
    batch_id = (job.payload or {}).get("batch_id")
    if batch_id is None:
        return
    session.exec(
        update(ImportBatch)
        .where(col(ImportBatch.id) == batch_id, col(ImportBatch.status) == "running")
        .values(status="failed", finished_at=now,
                message="interrupted: the worker stopped; retry the job to resume this import")
    )  # fmt: skip


on_recover(reap_stale_batches)


def _batch_id(job: Job) -> int | None:
    """The import batch of an import job: in its result once done, in its progress message before."""
    if job.result and job.result.get("batch_id"):
        return int(job.result["batch_id"])
    match = _BATCH_IN_MESSAGE.search(job.message or "")
    return int(match.group(1)) if match else None


@report("import")
def import_report(session: Session, job: Job) -> dict[str, Any]:
    """The job page's report of an ended import: its batch, how many files, and each record error."""
    batch_id = _batch_id(job)
    if batch_id is None:
        return {}
    errors = select(ImportRecordError).where(col(ImportRecordError.batch_id) == batch_id)
    return {
        "batch": session.get(ImportBatch, batch_id),
        "shown_path": shown_path,
        "files": session.execute(
            select(func.count()).select_from(ImportFile).where(col(ImportFile.batch_id) == batch_id)
        ).scalar_one(),
        "errors": list(session.execute(errors.order_by(col(ImportRecordError.id))).scalars()),
    }
