"""Liveness: the database answers, with the number of conversations and pairs stored.

The counts are the dashboard's (app/dashboard/queries.py): exact on small tables, the worker's cached
figure on large PostgreSQL tables, so a probe every few seconds never counts a million rows.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.dashboard.queries import count_conversations, pairs_by_status
from app.db import SessionDep

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(session: SessionDep) -> dict[str, Any]:
    conversations = count_conversations(session)
    pairs = sum(pairs_by_status(session).values())
    return {"status": "ok", "conversations": conversations, "pairs": pairs}
