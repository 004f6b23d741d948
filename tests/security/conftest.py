"""Fixtures shared by this folder's tests (the helpers live in tests/web_helpers.py)."""

from tests.page_helpers import admin, anonymous, enqueued, reviewer  # noqa: F401
from tests.web_helpers import fast_passwords  # noqa: F401
