"""Review quality for the dashboard: agreement per verdict and pattern, per reviewer, and its weekly trend."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from app.auth.models import User
from app.patterns.service import list_patterns
from app.review.agreement import Agreement, agreement
from app.review.models import Judgment


@dataclass(slots=True)
class ReviewerQuality:
    username: str
    judged: int
    agreement_with_others: float | None  # share of agreeing (me, other) verdict pairs on shared pairs
    shared: int  # pairs this reviewer judged that someone else judged too
    median_seconds: float | None
    tie_share: float
    not_a_pair_share: float


@dataclass(slots=True)
class Quality:
    verdicts: Agreement
    patterns: list[tuple[str, Agreement]]
    reviewers: list[ReviewerQuality]
    trend: list[tuple[str, Agreement]]  # ISO week -> agreement of the pairs completed that week


Row = tuple[int, int, str, list[str], list[str], float | None, datetime]


def review_quality(session: Session) -> Quality:
    """Every judgment read once; units are pairs, coders are reviewers (a missing judgment is missing data)."""
    rows: list[Row] = [
        (
            j.pair_id,
            j.reviewer_id,
            j.verdict,
            list(j.patterns_first),
            list(j.patterns_second),
            j.seconds_spent,
            j.created_at,
        )
        for j in session.exec(select(Judgment))
    ]
    names: dict[int, str] = {
        int(row[0]): str(row[1]) for row in session.execute(select(col(User.id), col(User.username)))
    }
    by_pair: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_pair[row[0]].append(row)

    def units(value: Callable[[Row], Hashable]) -> list[list[Hashable]]:
        return [[value(r) for r in group] for group in by_pair.values()]

    verdicts = agreement(units(lambda r: r[2]))
    patterns = [
        (p.name, agreement(units(partial(_tagged, p.slug)))) for p in list_patterns(session, active_only=True)
    ]
    weeks: dict[str, list[list[Hashable]]] = defaultdict(list)
    for group in by_pair.values():
        if len(group) >= 2:
            year, week, _ = max(r[6] for r in group).isocalendar()
            weeks[f"{year}-W{week:02d}"].append([r[2] for r in group])
    trend = [(week, agreement(weeks[week])) for week in sorted(weeks)[-12:]]
    return Quality(
        verdicts=verdicts, patterns=patterns, reviewers=_reviewers(rows, by_pair, names), trend=trend
    )


def _tagged(slug: str, row: Row) -> Hashable:
    """A judgment's value for one pattern: was it tagged on the first answer, on the second."""
    return (slug in row[3], slug in row[4])


def _reviewers(
    rows: list[Row], by_pair: dict[int, list[Row]], names: dict[int, str]
) -> list[ReviewerQuality]:
    mine: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        mine[row[1]].append(row)
    result = []
    for reviewer_id, own in mine.items():
        agree = total = shared = 0
        for row in own:
            others = [o for o in by_pair[row[0]] if o[1] != reviewer_id]
            shared += bool(others)
            total += len(others)
            agree += sum(o[2] == row[2] for o in others)
        seconds = [r[5] for r in own if r[5] is not None]
        result.append(
            ReviewerQuality(
                username=names.get(reviewer_id, f"#{reviewer_id}"),
                judged=len(own),
                agreement_with_others=agree / total if total else None,
                shared=shared,
                median_seconds=round(statistics.median(seconds), 1) if seconds else None,
                tie_share=sum(r[2] == "tie" for r in own) / len(own),
                not_a_pair_share=sum(r[2] == "not_a_pair" for r in own) / len(own),
            )
        )
    return sorted(result, key=lambda q: q.username)
