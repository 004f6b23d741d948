"""The task queue: Huey with SQLite storage embedded in `pairwise serve`, or Redis for `pairwise worker`s."""

from __future__ import annotations

import logging
from functools import lru_cache

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from app.config import get_settings

log = logging.getLogger(__name__)


@lru_cache
def get_huey() -> Huey:
    """Redis storage when PAIRWISE_REDIS_URL is set (workers on other machines), else a SQLite file."""
    settings = get_settings()
    if settings.redis_url:
        return RedisHuey("pairwise", url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("pairwise", filename=str(settings.data_dir / "jobs-queue.db"))


class EmbeddedConsumer(Consumer):
    """A consumer that runs inside the web process and leaves its signal handling to uvicorn."""

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded(workers: int = 2) -> EmbeddedConsumer:
    # The Huey the task was registered on, so what is enqueued is what this consumer reads.
    from app.jobs.tasks import huey

    consumer = EmbeddedConsumer(
        huey, workers=workers, worker_type="thread", periodic=True, check_worker_health=False
    )
    consumer.start()
    log.info("embedded job worker started (%s threads)", workers)
    return consumer
