"""The job registry: importing this module registers every domain's job handlers and hooks."""

from __future__ import annotations

from app.assist import jobs as assist_jobs
from app.conversations import jobs as conversations_jobs
from app.conversations import search_index as search_index_jobs
from app.dashboard import jobs as dashboard_jobs
from app.evaluation import jobs as evaluation_jobs
from app.pairs import jobs as pairs_jobs
from app.releases import jobs as releases_jobs
from app.training import jobs as training_jobs

__all__ = [
    "assist_jobs",
    "conversations_jobs",
    "dashboard_jobs",
    "evaluation_jobs",
    "pairs_jobs",
    "releases_jobs",
    "search_index_jobs",
    "training_jobs",
]
