"""What a backend uses while a job runs: short transactions on the run row, its log and its metrics.

Every text that reaches the database passes through `redact`, so a key echoed by a provider in an error
message never lands in the run page, the job row or the logs.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from app.db import session_scope
from app.errors import NotFoundError
from app.jobs.runner import JobContext
from app.models_base import utcnow
from app.releases.models import DatasetRelease
from app.training.models import TERMINAL, RunEvent, RunMetric, RunStatus, TrainingRun
from app.training.secrets import redact

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 2.0
MAX_MESSAGE = 4000


@dataclass(slots=True)
class EventIn:
    message: str
    level: str = "info"
    kind: str = "message"
    remote_id: str | None = None
    data: dict[str, Any] | None = None
    created_at: datetime | None = None


def from_unix(value: int | float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


@dataclass
class RunDriver:
    ctx: JobContext
    run_id: int
    secrets: list[str] = field(default_factory=list)
    _last_beat: float = 0.0

    @property
    def engine(self) -> Any:
        return self.ctx.engine

    # ------------------------------------------------------------------------------------ reading

    def load(self) -> TrainingRun:
        with session_scope(self.engine, read_only=True) as session:
            run = session.get(TrainingRun, self.run_id)
            if run is None:
                raise NotFoundError(f"training run {self.run_id} does not exist")
            return run

    def release(self, run: TrainingRun) -> DatasetRelease:
        with session_scope(self.engine, read_only=True) as session:
            release = session.get(DatasetRelease, run.release_id)
            if release is None:
                raise NotFoundError(f"release {run.release_id} does not exist")
            return release

    def known_remote_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        with session_scope(self.engine, read_only=True) as session:
            return set(
                session.execute(
                    select(col(RunEvent.remote_id)).where(
                        col(RunEvent.run_id) == self.run_id,
                        col(RunEvent.remote_id).in_(ids),
                    )
                ).scalars()
            )

    def cancel_requested(self) -> bool:
        with session_scope(self.engine, read_only=True) as session:
            flag = session.execute(
                select(col(TrainingRun.cancel_requested)).where(col(TrainingRun.id) == self.run_id)
            ).scalar_one()
        return bool(flag)

    # ------------------------------------------------------------------------------------ writing

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def update(self, **values: Any) -> TrainingRun:
        if isinstance(values.get("error"), str):
            values["error"] = self.redact(values["error"])[:MAX_MESSAGE]
        with session_scope(self.engine) as session:
            run = session.get(TrainingRun, self.run_id)
            if run is None:
                raise NotFoundError(f"training run {self.run_id} does not exist")
            for name, value in values.items():
                setattr(run, name, value)
            run.updated_at = utcnow()
            if run.started_at is None and run.status not in (RunStatus.pending, *TERMINAL):
                run.started_at = utcnow()
            if run.status in TERMINAL and run.finished_at is None:
                run.finished_at = utcnow()
            session.add(run)
            return run

    def set_status(
        self, status: str, message: str | None = None, *, level: str = "info", **values: Any
    ) -> None:
        """Change the local status (and other fields); a status change is written to the log."""
        before = self.load().status
        self.update(status=status, **values)
        if status != before:
            self.event(message or f"status: {status}", level=level, kind="status")

    def event(self, message: str, **kw: Any) -> bool:
        return self.events([EventIn(message=message, **kw)]) == 1

    def events(self, items: Iterable[EventIn]) -> int:
        """Add log lines; lines whose provider id is already stored are skipped. Returns how many were new."""
        items = list(items)
        if not items:
            return 0
        with session_scope(self.engine) as session:
            ids = [i.remote_id for i in items if i.remote_id]
            known: set[str] = set()
            if ids:
                known = set(
                    session.execute(
                        select(col(RunEvent.remote_id)).where(
                            col(RunEvent.run_id) == self.run_id,
                            col(RunEvent.remote_id).in_(ids),
                        )
                    ).scalars()
                )
            added = 0
            for item in items:
                if item.remote_id and item.remote_id in known:
                    continue
                if item.remote_id:
                    known.add(item.remote_id)
                session.add(
                    RunEvent(
                        run_id=self.run_id,
                        created_at=item.created_at or utcnow(),
                        level=item.level if item.level in ("info", "warn", "error") else "info",
                        kind=item.kind,
                        message=self.redact(item.message)[:MAX_MESSAGE],
                        remote_id=item.remote_id,
                        data=_clean_data(item.data, self.redact),
                    )
                )
                added += 1
        return added

    def metrics(self, step: int, values: Mapping[str, Any]) -> int:
        """Record numeric values at `step`; a (metric, step) already stored keeps its first value."""
        numbers = {
            name[:80]: float(value)
            for name, value in values.items()
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(float(value))
        }
        if not numbers:
            return 0
        with session_scope(self.engine) as session:
            known = set(
                session.execute(
                    select(col(RunMetric.name)).where(
                        col(RunMetric.run_id) == self.run_id, col(RunMetric.step) == step,
                        col(RunMetric.name).in_(list(numbers)),
                    )
                ).scalars()
            )  # fmt: skip
            new = [
                RunMetric(run_id=self.run_id, step=step, name=n, value=v)
                for n, v in numbers.items()
                if n not in known
            ]
            session.add_all(new)
        return len(new)

    # ------------------------------------------------------------------------------ job plumbing

    def heartbeat(
        self, done: int | None = None, total: int | None = None, message: str | None = None
    ) -> None:
        """Job progress and heartbeat; raises JobCancelled when the job itself was cancelled."""
        self._last_beat = time.monotonic()
        self.ctx.progress(done or 0, total, message=self.redact(message) if message else None)

    def maybe_heartbeat(self, done: int | None = None, total: int | None = None) -> None:
        if time.monotonic() - self._last_beat >= HEARTBEAT_EVERY:
            self.heartbeat(done, total)

    def sleep(self, seconds: float, *, wake_on_cancel: bool = True) -> None:
        """Wait, keeping the job alive; returns early when a cancel of the run was asked for."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 1.0))
            self.maybe_heartbeat()
            if wake_on_cancel and self.cancel_requested():
                return


def _clean_data(data: dict[str, Any] | None, scrub: Any) -> dict[str, Any] | None:
    """JSON-safe provider data with strings redacted (providers put text anywhere)."""
    if data is None:
        return None

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)[:MAX_MESSAGE]
        if isinstance(value, Mapping):
            return {str(k)[:200]: walk(v) for k, v in list(value.items())[:100]}
        if isinstance(value, list | tuple):
            return [walk(v) for v in list(value)[:100]]
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if value is None or isinstance(value, bool | int | float):
            return value
        return scrub(str(value))[:MAX_MESSAGE]

    result: dict[str, Any] = walk(dict(data))
    return result
