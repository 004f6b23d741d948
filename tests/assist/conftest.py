"""Fixtures shared by this folder's tests (the helpers live in tests/web_helpers.py)."""

import pytest

from app.config import get_settings
from tests.web_helpers import fast_passwords  # noqa: F401


@pytest.fixture(autouse=True)
def _loopback_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in chat server is on loopback, which the outbound policy allows only when the operator opts in."""
    monkeypatch.setenv("PAIRWISE_ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()
