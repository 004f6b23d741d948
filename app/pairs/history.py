"""A pair's history: detection, judgments, gold edits and audit events, oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import User
from app.pairs.models import Pair
from app.review.models import Judgment
from app.settings.models import AuditEvent

VERDICTS = {
    "first": "preferred the first answer (before the pushback)",
    "second": "preferred the revised answer",
    "tie": "judged the answers equal",
    "not_a_pair": "marked it not a pair",
}
# Saving a judgment sets created_at and updated_at a moment apart; later updates are real changes.
_SAME_MOMENT = timedelta(seconds=1)


@dataclass(slots=True)
class Event:
    at: datetime
    who: str | None
    what: str


def pair_history(
    session: Session, *, pair: Pair, judgments: Sequence[tuple[Judgment, str | None]]
) -> list[Event]:
    events = [Event(pair.created_at, None, f"detected by {pair.detector} with score {pair.score:.2f}")]
    names = {j.reviewer_id: name for j, name in judgments}
    for judgment, name in judgments:
        events.append(Event(judgment.created_at, name, VERDICTS.get(judgment.verdict, judgment.verdict)))
        if judgment.updated_at - judgment.created_at > _SAME_MOMENT:
            events.append(Event(judgment.updated_at, name, "changed the judgment (latest shown above)"))
        if judgment.edited_at is not None:
            editor = names.get(judgment.edited_by_id or 0, name)
            events.append(Event(judgment.edited_at, editor, "edited the gold answer"))
    audits = session.execute(
        select(AuditEvent, col(User.username))
        .outerjoin(User, col(User.id) == col(AuditEvent.user_id))
        .where(col(AuditEvent.object_type) == "pair", col(AuditEvent.object_id) == str(pair.id))
    )
    for event, username in audits:
        events.append(Event(event.created_at, username, event.action.replace("_", " ").replace(".", ": ")))
    return sorted(events, key=lambda e: e.at)
