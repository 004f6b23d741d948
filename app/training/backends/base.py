"""The backend interface; a backend's hyperparameters per method are models in app.training.hyperparameters."""

from __future__ import annotations

from typing import Any, Protocol

from sqlmodel import Session

from app.releases.models import DatasetRelease
from app.training.driver import RunDriver


class TrainingBackend(Protocol):
    name: str
    label: str

    def check_release(self, release: DatasetRelease, *, method: str) -> None:
        """Raise ValidationFailedError when the release cannot be trained here (format, lint)."""
        ...

    def options(self, session: Session) -> dict[str, Any]:
        """Backend facts recorded on the run at launch (the endpoint used...)."""
        ...

    def execute(self, driver: RunDriver) -> dict[str, Any]:
        """The "train" job: start the run (never twice) and follow it until it ends."""
        ...

    def follow(self, driver: RunDriver) -> dict[str, Any]:
        """The "poll" job: follow a run already started elsewhere (after a restart)."""
        ...
