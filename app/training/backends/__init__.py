"""Training backends behind one interface (base.TrainingBackend), chosen per run."""

from __future__ import annotations

from app.errors import ValidationFailedError
from app.training.backends.base import TrainingBackend
from app.training.models import Backend


def get_backend(name: str) -> TrainingBackend:
    """The backend called `name`; TRL's module imports no torch (the worker process does)."""
    if name == "openai":
        from app.training.backends.openai_api import OpenAIBackend

        return OpenAIBackend()
    if name == "trl":
        from app.training.backends.trl_backend import TrlBackend

        return TrlBackend()
    raise ValidationFailedError(f"unknown backend {name!r}; choose openai or trl")


BACKEND_NAMES = tuple(b.value for b in Backend)
