"""Liveness: the database answers, with the number of conversations and pairs stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from app.conversations.models import Conversation
from app.db import SessionDep
from app.pairs.models import Pair

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(session: SessionDep) -> dict[str, Any]:
    conversations = session.execute(select(func.count()).select_from(Conversation)).scalar_one()
    pairs = session.execute(select(func.count()).select_from(Pair)).scalar_one()
    return {"status": "ok", "conversations": conversations, "pairs": pairs}
