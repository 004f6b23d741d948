"""Failing what a crashed process left running: import batches and release builds (jobs have their own)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from app.config import get_settings
from app.conversations.service import fail_stale_batches
from app.db import session_scope
from app.models_base import utcnow
from app.releases.service import fail_stale_releases

log = logging.getLogger(__name__)


def reap_stale_operations(engine: Engine) -> dict[str, list[int]]:
    """Mark batches and releases whose owner died failed (staging folders removed); ids per kind.

    Run at every start (`serve`, `worker`, `import`, `releases build`) and by the periodic job reaper.
    """
    now = utcnow()
    with session_scope(engine) as session:
        batches = fail_stale_batches(session, now=now)
        releases = fail_stale_releases(session, data_dir=get_settings().data_dir, now=now)
    if batches or releases:
        log.warning("marked failed after their process stopped: batches %s, releases %s", batches, releases)
    return {"batches": batches, "releases": releases}
