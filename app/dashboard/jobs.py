"""The worker's share of the dashboard: refreshing the cached aggregates of large tables every minute."""

from __future__ import annotations

from sqlalchemy import Engine

from app.dashboard.queries import refresh_aggregates
from app.jobs.runner import on_recover


@on_recover
def refresh_dashboard(engine: Engine) -> list[str]:
    """At worker start and every minute: the figures the dashboard shows for large tables."""
    return refresh_aggregates(engine)
