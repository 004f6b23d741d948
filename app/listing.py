"""Shared pieces of list pages: query-string models, keyset pages and day ranges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import Select, func, select
from sqlmodel import Session

PAGE_SIZE = 50
T = TypeVar("T")


class QueryModel(BaseModel):
    """Query-string filters: unknown names are refused (S8); empty form fields count as absent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v not in ("", None)}
        return data

    def params(self, **override: Any) -> str:
        """This query as a URL query string (without `?`), with some values replaced."""
        values = {**self.model_dump(exclude_none=True), **override}
        return urlencode({k: str(v) for k, v in values.items() if v is not None and v != ""})


@dataclass(slots=True)
class Page(Generic[T]):
    """One page: its rows and where the next one starts, if there are more.

    Newest-first lists continue after an id (keyset, `next_after`); ranked search results, which are
    scored in full on every request anyway, continue at a page number (`next_page`).
    """

    rows: list[T]
    next_after: int | None
    next_page: int | None = None
    ranked: bool = False  # rows are best first (search results), not newest first


def keyset_page(rows: Sequence[T], *, size: int, key: Any) -> Page[T]:
    """Cut `size + 1` fetched rows into a page; the extra row only says that another page exists."""
    items = list(rows[:size])
    more = len(rows) > size
    return Page(rows=items, next_after=key(items[-1]) if more and items else None)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_end(day: date) -> datetime:
    """The first instant after `day` (date ranges are inclusive of their last day)."""
    return day_start(day) + timedelta(days=1)


def newest_first(
    session: Session,
    query: Select[*tuple[Any, ...]],
    *,
    id_column: Any,
    created_column: Any,
    created_from: date | None,
    created_to: date | None,
    after: int | None,
    size: int,
    order_by: Sequence[Any] = (),
) -> Page[Any]:
    """One keyset page of `query`, newest first, within an inclusive range of creation days.

    `order_by` replaces the plain `id_column DESC` with an equivalent ordering that steers the planner
    (a column the filters hold constant ahead of the id, so an index on both serves the page).
    """
    if created_from:
        query = query.where(created_column >= day_start(created_from))
    if created_to:
        query = query.where(created_column < day_end(created_to))
    if after is not None:
        query = query.where(id_column < after)
    rows = session.execute(query.order_by(*(order_by or [id_column.desc()])).limit(size + 1)).all()
    return keyset_page(rows, size=size, key=lambda r: r.id)


def best_first(
    session: Session,
    query: Select[*tuple[Any, ...]],
    *,
    score_column: Any,
    id_column: Any,
    created_column: Any,
    created_from: date | None,
    created_to: date | None,
    page: int,
    size: int,
) -> Page[Any]:
    """Page `page` (from 1) of `query` by ascending score, newest first among equal scores."""
    if created_from:
        query = query.where(created_column >= day_start(created_from))
    if created_to:
        query = query.where(created_column < day_end(created_to))
    ordered = query.order_by(score_column, id_column.desc()).offset((page - 1) * size).limit(size + 1)
    rows = session.execute(ordered).all()
    return Page(
        rows=list(rows[:size]), next_after=None, next_page=page + 1 if len(rows) > size else None, ranked=True
    )


def count_by(session: Session, column: Any, ids: list[int]) -> dict[int, int]:
    """How many rows have each of `ids` in `column` (e.g. pairs per conversation); absent ids count 0."""
    query = select(column, func.count()).where(column.in_(ids)).group_by(column)
    return {int(key): int(n) for key, n in session.execute(query)}
