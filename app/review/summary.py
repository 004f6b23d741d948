"""Why the queue is empty for a reviewer: what is judged, held by others, below threshold, waiting for overlap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.models import User
from app.models_base import utcnow
from app.pairs.models import Pair
from app.review.models import Assignment, Judgment
from app.review.queue import OPEN_STATUSES
from app.settings.service import get_value


@dataclass(slots=True)
class QueueSummary:
    judged: int  # pairs whose review is finished (accepted, tie, not a pair)
    held_by_others: int  # open pairs that only others' live leases keep from this reviewer
    held_until: datetime | None  # when the last of those leases ends
    below_threshold: int  # open pairs under the detection threshold (never served)
    waiting_for_overlap: int  # pairs this reviewer judged or skipped that still need others' judgments
    needs_adjudication: int  # reviewers disagreed and every judgment is in


def queue_summary(session: Session, *, reviewer: User, now: datetime | None = None) -> QueueSummary:
    """Counts that explain an empty queue; one pass over the open pairs above the threshold."""
    now = now or utcnow()
    threshold = float(get_value(session, key="detection_threshold"))
    overlap = int(get_value(session, key="overlap"))
    judged = session.execute(
        select(func.count()).select_from(Pair).where(col(Pair.status).not_in(OPEN_STATUSES))
    ).scalar_one()
    below = session.execute(
        select(func.count())
        .select_from(Pair)
        .where(col(Pair.status).in_(OPEN_STATUSES), col(Pair.score) < threshold)
    ).scalar_one()
    judgments = (
        select(col(Judgment.pair_id), func.count().label("n"))
        .join(Pair, col(Pair.id) == Judgment.pair_id)
        .where(col(Pair.status).in_(OPEN_STATUSES), col(Pair.score) >= threshold)
        .group_by(col(Judgment.pair_id))
    )
    counts: dict[int, int] = {int(row[0]): int(row[1]) for row in session.execute(judgments)}
    leases: dict[int, tuple[int, datetime]] = {}
    for pid, n, until in session.execute(
        select(col(Assignment.pair_id), func.count(), func.max(Assignment.expires_at))
        .join(Pair, col(Pair.id) == Assignment.pair_id)
        .where(
            col(Pair.status).in_(OPEN_STATUSES),
            col(Pair.score) >= threshold,
            col(Assignment.reviewer_id) != reviewer.id,
            col(Assignment.expires_at) > now,
            col(Assignment.skipped).is_(False),
        )
        .group_by(col(Assignment.pair_id))
    ):
        leases[pid] = (n, until)
    my_judged = select(col(Judgment.pair_id)).where(col(Judgment.reviewer_id) == reviewer.id)
    my_skipped = select(col(Assignment.pair_id)).where(
        col(Assignment.reviewer_id) == reviewer.id, col(Assignment.skipped).is_(True)
    )
    mine = set(
        session.execute(
            select(col(Pair.id)).where(
                col(Pair.status).in_(OPEN_STATUSES),
                col(Pair.score) >= threshold,
                col(Pair.id).in_(my_judged) | col(Pair.id).in_(my_skipped),
            )
        ).scalars()
    )
    conflicts = set(
        session.execute(
            select(col(Pair.id)).where(col(Pair.status) == "conflict", col(Pair.score) >= threshold)
        )
        .scalars()
        .all()
    )
    held = waiting = adjudicate = 0
    held_until: datetime | None = None
    for pid in set(counts) | set(leases) | mine | conflicts:
        n = counts.get(pid, 0)
        if pid in conflicts and n >= overlap:
            adjudicate += 1
        elif pid in mine:
            waiting += 1
        elif pid in leases and n + leases[pid][0] >= overlap:
            held += 1
            held_until = max(held_until, leases[pid][1]) if held_until else leases[pid][1]
    return QueueSummary(
        judged=int(judged),
        held_by_others=held,
        held_until=held_until,
        below_threshold=int(below),
        waiting_for_overlap=waiting,
        needs_adjudication=adjudicate,
    )
