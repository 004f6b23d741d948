"""Model-assisted jobs: standalone rewrites of leaky pairs, and second opinions on uncertain candidates."""

from __future__ import annotations

from typing import Any

from app.assist.client import SuggestionProviderError
from app.assist.opinions import MalformedOpinionError, ask, band_candidates
from app.assist.provider import provider_config
from app.assist.service import leaky_pairs_without_suggestions, propose
from app.db import session_scope
from app.jobs.runner import JobContext, handler
from app.settings.service import get_value

DEFAULT_LIMIT = 200
OPINION_JOB = "second_opinions"
MAX_REPORTED = 50  # failed pairs listed one by one in the job's report; all are counted


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


@handler(OPINION_JOB)
def second_opinions_job(ctx: JobContext) -> dict[str, Any]:
    """Payload: low, high (the score band), limit. A reply that is not the asked-for JSON fails that pair
    only (reported, nothing stored); a provider error is reported and the job stops, as for suggestions."""
    low, high, limit = float(ctx.payload["low"]), float(ctx.payload["high"]), int(ctx.payload["limit"])
    with session_scope(ctx.engine, read_only=True) as session:
        config = provider_config(session)
        threshold = float(get_value(session, key="detection_threshold"))
        ids = band_candidates(session, low=low, high=high, threshold=threshold, limit=limit)
    stored, failures = 0, []
    result: dict[str, Any] = {"pairs": len(ids), "opinions": 0, "failed": 0, "error": None}
    for done, pair_id in enumerate(ids):
        ctx.progress(done, len(ids), message=f"asking about pair {pair_id}")
        try:
            with session_scope(ctx.engine) as session:
                stored += ask(session, pair_id=pair_id, config=config) is not None
        except MalformedOpinionError as exc:
            failures.append(f"pair {pair_id}: {exc}")
        except SuggestionProviderError as exc:
            result |= {"pairs": done, "error": str(exc)}
            break
    result |= {"opinions": stored, "failed": len(failures)}
    if failures:
        result["failures"] = failures[:MAX_REPORTED]
    return result
