"""`pairwise search ...`: the full-text index of search, brought up to date, checked or rebuilt from the command line."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer

from app import migrate
from app.conversations.search_index import PAIRS_CURSOR, index_pending, index_states, pairs_cursor
from app.conversations.search_repair import integrity_problems, rebuild
from app.db import get_engine, session_scope
from app.terminal import err

search_cli = typer.Typer(
    help="The full-text search index (FTS5 on SQLite, turn_search on PostgreSQL).", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")]


@search_cli.command("reindex")
def reindex(
    full: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild the indexes from scratch (repairs a damaged index).")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Index the turns and titles imported since the last run (the `search_index` job does the same)."""
    engine = get_engine()
    migrate.upgrade(engine)
    result = rebuild(engine) if full else index_pending(engine)
    if json_output:
        typer.echo(orjson.dumps(result.to_json()).decode())
        return
    done = ", ".join(f"{name}: {n:,} rows" for name, n in result.indexed.items())
    err.print(f"{'rebuilt' if full else 'indexed'} {done}", highlight=False)
    if result.pairs_filled is not None:
        err.print(f"filled the pairs of {result.pairs_filled:,} vectors stored before", highlight=False)


@search_cli.command("status")
def status(json_output: JsonOpt = False) -> None:
    """How far each index has come, and its integrity check (FTS5's own on SQLite)."""
    engine = get_engine()
    migrate.upgrade(engine)
    with session_scope(engine, read_only=True) as session:
        states = index_states(session)
        cursor = pairs_cursor(session)
    problems = integrity_problems(engine)
    rows = [
        {"index": s.index.name, "indexed_to": s.indexed_to, "highest_id": s.top, "pending": s.pending}
        for s in states
    ]
    summary: dict[str, object] = {"indexes": rows, "problems": problems}
    if cursor is not None:
        summary["pairs_filled_to"] = cursor
    if json_output:
        typer.echo(orjson.dumps(summary).decode())
    else:
        if not rows:
            typer.echo("no full-text index here")
        for row in rows:
            typer.echo(
                f"{row['index']}: indexed up to id {row['indexed_to']:,} of {row['highest_id']:,} "
                f"({row['pending']:,} waiting)"
            )
        if cursor is not None:
            typer.echo(
                f"{PAIRS_CURSOR}: pairs of the vectors stored before filled up to turn id {cursor:,} "
                "(the search_index job goes on; until then search finds the rest by their words)"
            )
        for problem in problems:
            typer.echo(f"problem: {problem}")
    if problems:
        raise typer.Exit(1)
