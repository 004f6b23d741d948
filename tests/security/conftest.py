"""Fixtures shared by this folder's tests (the helpers live in tests/web_helpers.py)."""

import pytest

from tests.page_helpers import admin, anonymous, enqueued, reviewer  # noqa: F401
from tests.web_helpers import fast_passwords  # noqa: F401


@pytest.fixture(autouse=True)
def _loopback_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The route matrix saves stand-in providers on loopback: the operator's opt-in for private endpoints."""
    from app.config import get_settings

    monkeypatch.setenv("PAIRWISE_ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()
