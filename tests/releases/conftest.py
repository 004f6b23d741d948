"""Fixtures for release tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.config import get_settings


@pytest.fixture
def release_engine(engine: Engine) -> Engine:
    """The migrated, empty test database (SQLite, then PostgreSQL)."""
    return engine


@pytest.fixture
def data_dir() -> Path:
    return get_settings().data_dir
