"""Run-time settings: stored over the environment's initial value, and saved again in place (one row per key)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from app.db import session_scope
from app.settings.models import AppSetting
from app.settings.service import get_value, set_value


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
