"""The suggestion job: ask the provider for standalone rewrites of leaky pairs, one pair per unit of work."""

from __future__ import annotations

from typing import Any

from app.assist.client import SuggestionProviderError
from app.assist.provider import provider_config
from app.assist.service import leaky_pairs_without_suggestions, propose
from app.db import session_scope
from app.jobs.runner import JobContext, handler

DEFAULT_LIMIT = 200


@handler("suggest")
def suggest_job(ctx: JobContext) -> dict[str, Any]:
    """Payload: optional pair_ids, else up to `limit` leaky pairs without suggestions. A provider error on
    one pair is reported and the job stops (the next pairs would fail the same way)."""
    with session_scope(ctx.engine, read_only=True) as session:
        config = provider_config(session)
        ids = ctx.payload.get("pair_ids") or leaky_pairs_without_suggestions(
            session, limit=int(ctx.payload.get("limit", DEFAULT_LIMIT))
        )
    made = 0
    for done, pair_id in enumerate(ids):
        ctx.progress(done, len(ids), message=f"suggesting for pair {pair_id}")
        try:
            with session_scope(ctx.engine) as session:
                made += len(propose(session, pair_id=int(pair_id), config=config))
        except SuggestionProviderError as exc:
            return {"pairs": done, "suggestions": made, "error": str(exc)}
    return {"pairs": len(ids), "suggestions": made, "error": None}
