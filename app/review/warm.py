"""The review routes' SQL, run once before a web process takes its first reviewer.

SQLAlchemy compiles a statement the first time a process runs it: a fresh process answered its first next
pair in 55 ms and its first verdict in 37 ms, against 9 and 15 ms once warm (`benchmarks/review_cost.py`).
Every process of `pairwise serve --workers N` pays that, and reviewers arriving together after a restart
would queue behind it.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session

from app.auth import sessions
from app.auth.models import Role, User
from app.db import session_scope
from app.patterns.service import list_patterns
from app.review import page, queue, service
from app.review.stats import reviewer_numbers

log = logging.getLogger(__name__)


def warm_review_statements(engine: Engine) -> None:
    """Run the statements of the sign-in check, the next pair and a verdict with values that match no row, in
    a transaction that is rolled back. On SQLite only the reads run: a write would wait for the write lock
    that an import may hold for minutes. A database that cannot answer yet (not migrated, not up) is left
    for the first request to report."""
    configure_mappers()
    nobody = User(id=0, username="", password_hash="", role=Role.reviewer)  # no such account
    writes = engine.dialect.name == "postgresql"
    try:
        with session_scope(engine, read_only=not writes) as session:
            _warm(session, reviewer=nobody, writes=writes)
            session.rollback()
    except SQLAlchemyError as exc:
        log.warning("the review statements were not warmed at start-up: %s", str(exc).splitlines()[0])


def _warm(session: Session, *, reviewer: User, writes: bool) -> None:
    sessions.warm_up(session)
    reviewer_numbers(session, reviewer=reviewer)  # with the settings and the count of pairs left
    list_patterns(session, active_only=True)
    queue.warm_up(session, reviewer=reviewer, writes=writes)
    page.warm_up(session)
    service.warm_up(session, reviewer=reviewer, writes=writes)
