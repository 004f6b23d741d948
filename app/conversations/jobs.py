"""The import job: files uploaded from the browser, imported with live progress."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from app.config import get_settings
from app.conversations.files import InputFile, Limits, iter_input_files
from app.conversations.importing import run_import, start_batch
from app.jobs.runner import JobContext, handler

PROGRESS_EVERY_SECONDS = 0.5


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
    result = summary.to_json()
    result["errors"] = result["errors"][:200]
    # The batch report has every file; the job keeps a bounded preview.
    result["per_file"] = result["per_file"][:200]
    return result
