"""Run-time settings: stored over the environment's initial value, and saved again in place (one row per key);
read with the review guidelines once per transaction, never kept beyond it."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from app.db import session_scope
from app.review import guidelines
from app.review.guidelines import Guidelines, get_guidelines, save_guidelines
from app.settings.models import AppSetting
from app.settings.service import PREFETCHED_OBJECTS, get_value, set_value
from tests.sql_helpers import statements


def test_initial_value_comes_from_the_environment(engine: Engine) -> None:
    with session_scope(engine, read_only=True) as session:
        assert get_value(session, key="overlap") == 1


def test_saving_a_setting_twice_updates_the_one_row(engine: Engine) -> None:
    with session_scope(engine) as session:
        set_value(session, key="overlap", value="2")
    with session_scope(engine) as session:
        first = session.get(AppSetting, "overlap")
        assert first is not None
        saved_at = first.updated_at
    with session_scope(engine) as session:
        set_value(session, key="overlap", value=3)
    with session_scope(engine, read_only=True) as session:
        assert get_value(session, key="overlap") == 3
        assert session.execute(select(func.count()).select_from(AppSetting)).scalar_one() == 1
        row = session.get(AppSetting, "overlap")
        assert row is not None
        assert row.updated_at >= saved_at


def test_settings_and_guidelines_are_one_statement_per_transaction(engine: Engine) -> None:
    assert guidelines.KEY in PREFETCHED_OBJECTS
    with session_scope(engine) as session:
        set_value(session, key="overlap", value=2)
        save_guidelines(session, admin_id=None, guidelines=Guidelines(text="Read both answers."))
    with statements(engine) as seen, session_scope(engine, read_only=True) as session:
        assert get_value(session, key="overlap") == 2
        assert get_guidelines(session).text == "Read both answers."
        assert get_value(session, key="lease_minutes") > 0
        assert get_guidelines(session).text == "Read both answers."
    assert len([s for s in seen if "app_setting" in s]) == 1


def test_a_change_is_seen_by_the_next_transaction_and_in_its_own(engine: Engine) -> None:
    """Nothing is kept between transactions: what an admin saves (in any process) is what the next request
    reads; a save in the same transaction is read back at once."""
    with session_scope(engine, read_only=True) as session:
        assert get_guidelines(session).text == ""
        assert get_value(session, key="review_min_ms") >= 0
    with session_scope(engine) as other:
        save_guidelines(other, admin_id=None, guidelines=Guidelines(text="v1"))
        set_value(other, key="review_min_ms", value=1234)
    with session_scope(engine) as session:
        assert (get_guidelines(session).text, get_value(session, key="review_min_ms")) == ("v1", 1234)
        save_guidelines(session, admin_id=None, guidelines=Guidelines(text="v2"))
        set_value(session, key="review_min_ms", value=55)
        assert (get_guidelines(session).text, get_value(session, key="review_min_ms")) == ("v2", 55)
    with session_scope(engine, read_only=True) as session:
        assert (get_guidelines(session).text, get_value(session, key="review_min_ms")) == ("v2", 55)


def test_a_rolled_back_savepoint_forgets_what_it_read(engine: Engine) -> None:
    with session_scope(engine) as session:
        savepoint = session.begin_nested()
        save_guidelines(session, admin_id=None, guidelines=Guidelines(text="undone"))
        assert get_guidelines(session).text == "undone"
        savepoint.rollback()
        assert get_guidelines(session).text == ""
