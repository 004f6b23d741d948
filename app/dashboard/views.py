"""The overview: counts, recent imports and jobs, and progress charts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app import charts
from app.auth.deps import AdminUser
from app.dashboard import queries
from app.db import SessionDep
from app.listing import day_start
from app.models_base import utcnow
from app.web import render

router = APIRouter(prefix="/admin")

DAYS = 30


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, user: AdminUser) -> Response:
    by_status = queries.pairs_by_status(session)
    per_day = queries.judged_per_day(session, today=utcnow().date(), days=DAYS)
    throughput = queries.reviewer_throughput(session, since=day_start(per_day[0][0]))
    patterns = queries.pattern_frequency(session)
    medians = [f"{t.judgments:,} · {_seconds(t.median_seconds)}" for t in throughput]
    context = {
        "conversations": queries.count_conversations(session),
        "pairs_total": sum(by_status.values()),
        "by_status": by_status,
        "judged_30d": sum(n for _, n in per_day),
        "batches": queries.recent_batches(session),
        "jobs": queries.recent_jobs(session),
        "throughput": throughput,
        "patterns": patterns,
        "status_chart": charts.horizontal_bars(
            "Pairs by status",
            [(status.replace("_", " "), n, f"status-{status}") for status, n in by_status.items()],
        ),
        "day_chart": charts.columns(
            "Judgments per day, last 30 days (UTC)", [(d.strftime("%m-%d"), n) for d, n in per_day]
        ),
        "reviewer_chart": charts.horizontal_bars(
            "Judgments per reviewer, last 30 days (median seconds per pair)",
            [(t.username, t.judgments, "reviewer") for t in throughput],
            notes=medians,
        ),
        "pattern_chart": charts.paired_bars(
            "Pattern tagged on the chosen vs the rejected answer",
            [(p.name, p.chosen, p.rejected) for p in patterns],
            kinds=("chosen", "rejected"),
        ),
    }
    return render(request, "dashboard/page.html", context)


def _seconds(value: float | None) -> str:
    return "no timing" if value is None else f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"
