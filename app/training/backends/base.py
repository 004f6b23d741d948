"""The backend interface and the hyperparameter specs that drive validation, the form and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

from app.errors import ValidationFailedError
from app.releases.models import DatasetRelease
from app.training.driver import RunDriver

AUTO = "auto"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

Value = int | float | bool | str


@dataclass(frozen=True, slots=True)
class Param:
    """One hyperparameter: its type, bounds and default; `methods` limits it to supervised or dpo."""

    name: str
    kind: type
    label: str
    help: str
    default: Value
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    allow_auto: bool = False
    methods: frozenset[str] = frozenset({"supervised", "dpo"})

    @property
    def is_bool(self) -> bool:
        return self.kind is bool

    @property
    def bounds(self) -> str:
        low = "" if self.minimum is None else f"{'>' if self.exclusive_minimum else '≥'} {self.minimum:g}"
        high = "" if self.maximum is None else f"≤ {self.maximum:g}"
        parts = [p for p in (low, high) if p]
        if self.allow_auto:
            parts.append("or auto")
        return ", ".join(parts)

    def parse(self, raw: Value | None) -> Value:
        """The value from a form, the CLI or JSON; empty means the default."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return self.default
        if isinstance(raw, str):
            raw = raw.strip()
            if raw.lower() == AUTO:
                if self.allow_auto:
                    return AUTO
                raise ValidationFailedError(f"{self.name} cannot be auto here; give a number")
        if self.kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValidationFailedError(f"{self.name} must be true or false, not {raw!r}")
        try:
            if self.kind is int:
                if isinstance(raw, float) and not raw.is_integer():
                    raise ValueError
                number: int | float = int(str(raw)) if isinstance(raw, str) else int(raw)
            else:
                number = float(raw)
        except (TypeError, ValueError):
            kind = "a whole number" if self.kind is int else "a number"
            raise ValidationFailedError(f"{self.name} must be {kind}, not {raw!r}") from None
        if isinstance(number, float) and number != number:
            raise ValidationFailedError(f"{self.name} must be a number")
        too_low = self.minimum is not None and (
            number <= self.minimum if self.exclusive_minimum else number < self.minimum
        )
        too_high = self.maximum is not None and number > self.maximum
        if too_low or too_high:
            raise ValidationFailedError(f"{self.name} must be {self.bounds}, not {raw}")
        return number


def validate_params(specs: list[Param], raw: Mapping[str, Value | None], *, backend: str) -> dict[str, Value]:
    """Every known parameter resolved (given or default); unknown names are refused."""
    known = {p.name: p for p in specs}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ValidationFailedError(
            f"unknown hyperparameter {unknown[0]!r} for {backend}; known: {', '.join(sorted(known))}"
        )
    return {p.name: p.parse(raw.get(p.name)) for p in specs}


class TrainingBackend(Protocol):
    name: str
    label: str

    def params(self, method: str) -> list[Param]:
        """The hyperparameters this backend takes for `method`."""
        ...

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
