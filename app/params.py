"""Bounded integer parameters shared by HTML and API routes: an id is >= 1 and fits the database column.

Unbounded ints reached the database: SQLite overflows past 2**63 - 1 and PostgreSQL's INTEGER ends at
2**31 - 1, so `/admin/pairs/9223372036854775808` answered 500. Bounded here, they answer 422 instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

# PostgreSQL INTEGER, the type of every id column (SQLite's is wider).
MAX_DB_INT = 2**31 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="An id (1 to 2147483647).")]
AfterId = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_DB_INT,
        description="Keyset cursor: return items with an id above this (0 = from the start).",
    ),
]
# For ids inside query and form models (pydantic fields rather than FastAPI parameters).
FieldId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
FieldVersion = Annotated[int, Field(ge=0, le=MAX_DB_INT)]
QueryId = Annotated[int, Query(ge=1, le=MAX_DB_INT)]
