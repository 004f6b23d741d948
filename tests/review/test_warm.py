"""The review routes' SQL, run once at a web process's start-up (app/review/warm.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlmodel import col

from app.auth.models import Role, User
from app.db import build_engine, session_scope
from app.pairs.models import Pair
from app.review import queue
from app.review.models import Assignment, Verdict
from app.review.page import build_view
from app.review.service import JudgmentInput, submit
from app.review.stats import reviewer_numbers
from app.review.warm import warm_review_statements
from tests.web_helpers import add_pair, make_user

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def fresh(engine: Engine) -> Iterator[Engine]:
    """Another engine on the test's database: its compiled statements start empty, as a new process's do."""
    other = build_engine(engine.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


def _misses(engine: Engine) -> list[str]:
    """The statements `engine` compiles from now on (not found among those it compiled before)."""
    compiled: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        if context is not None and context.cache_hit is CacheStats.CACHE_MISS:
            compiled.append(" ".join(statement.split()))

    event.listen(engine, "after_cursor_execute", seen)
    return compiled


def _review(engine: Engine, reviewer: User) -> None:
    """What the first next pair and the first verdict of a process run."""
    with session_scope(engine) as session:
        assignment = queue.lease_next(session, reviewer=reviewer)
        assert assignment is not None
        build_view(session, assignment=assignment)
        reviewer_numbers(session, reviewer=reviewer)
        submit(session, reviewer=reviewer, pair_id=assignment.pair_id, data=JudgmentInput(Verdict.second))
        queue.lease_next(session, reviewer=reviewer)
        reviewer_numbers(session, reviewer=reviewer)


def test_warming_writes_nothing(engine: Engine, fresh: Engine) -> None:
    with session_scope(engine) as session:
        pair = add_pair(session)
        before = (pair.status, pair.version)
    make_user(engine, "rev")
    warm_review_statements(fresh)
    with session_scope(engine, read_only=True) as session:
        assert session.execute(select(func.count()).select_from(Assignment)).scalar_one() == 0
        assert session.execute(select(col(Pair.status), col(Pair.version))).one() == before


def test_a_warmed_process_compiles_nothing_a_review_reads(engine: Engine, fresh: Engine) -> None:
    """After warming, the reads of a first next pair and a first verdict are compiled already; on PostgreSQL
    the lease and the status write too. What the ORM writes when it flushes (the judgment, the lease's end) is
    left: it needs rows to write."""
    for _ in range(2):
        with session_scope(engine) as session:
            add_pair(session)
    reviewer = User(id=make_user(engine, "rev"), username="rev", password_hash="", role=Role.reviewer)
    warm_review_statements(fresh)
    compiled = _misses(fresh)
    _review(fresh, reviewer)
    flushed: tuple[str, ...] = ("INSERT INTO judgment", "DELETE FROM assignment")
    if fresh.dialect.name == "sqlite":
        flushed += ("INSERT INTO assignment", "UPDATE pair")
    assert [sql for sql in compiled if not sql.startswith(flushed)] == [], "\n".join(compiled)


def test_an_unwarmed_process_compiles_them(engine: Engine, fresh: Engine) -> None:
    """The check above can fail: without warming, the same review compiles its reads."""
    with session_scope(engine) as session:
        add_pair(session)
    reviewer = User(id=make_user(engine, "rev"), username="rev", password_hash="", role=Role.reviewer)
    compiled = _misses(fresh)
    _review(fresh, reviewer)
    assert any(sql.startswith("SELECT") for sql in compiled)


def test_a_database_that_cannot_answer_is_left_to_the_first_request(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    unmigrated = build_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    warm_review_statements(unmigrated)
    unmigrated.dispose()
    assert "the review statements were not warmed at start-up: (sqlite3.OperationalError) no such table" in (
        caplog.text
    )
