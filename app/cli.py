"""The `pairwise` command: serve, worker, db, import, pairs, users.

Start-up stays short: the web framework, the database models and the export and training stacks are
imported by the commands that use them, and the command groups of other packages (users, releases, runs,
eval, search, export, train) are loaded only when one of them runs; `pairwise --help` lists them from their help
texts (app/lazy_commands.py).
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from app.config import configure_logging, get_settings, secure_data_dir
from app.conversations.importers import FORMATS
from app.errors import PairwiseError
from app.lazy_commands import LazyGroup
from app.terminal import err, fail

cli = typer.Typer(
    cls=LazyGroup,
    help="Pairwise: turn assistant conversations into reviewed fine-tuning data.",
    no_args_is_help=True,
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
pairs_cli = typer.Typer(help="Candidate preference pairs.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(pairs_cli, name="pairs")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="Web processes sharing the port (needs PAIRWISE_WORKER_EMBEDDED=false)."
        ),
    ] = 1,
) -> None:
    """Upgrade the database and serve the web app."""
    import uvicorn

    from app import migrate

    settings = get_settings()
    try:
        settings.require_safe()
    except PairwiseError as exc:
        fail(str(exc))
    if workers > 1 and settings.worker_embedded:
        # Every web process would run its own job consumer and its own minutely maintenance.
        fail(
            f"--workers {workers} runs {workers} web processes: set PAIRWISE_WORKER_EMBEDDED=false and run "
            "`pairwise worker` next to them, so jobs and the minutely maintenance run once"
        )
    migrate.prepare()
    from app.db import connection_shortfall, get_engine

    if workers > 1:
        # Each web process sizes its connection pool by how many processes share the database (app/config.py).
        os.environ.setdefault("PAIRWISE_WEB_PROCESSES", str(workers))
        get_settings.cache_clear()
    pool_size, max_overflow = get_settings().pool_limits()
    shortfall = connection_shortfall(
        get_engine(), processes=workers, pool_size=pool_size, max_overflow=max_overflow
    )
    if shortfall:
        err.print(f"[yellow]warning:[/yellow] {shortfall}", highlight=False)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # A worker importing the app on a busy machine must not be taken for dead and restarted in a loop.
        timeout_worker_healthcheck=30,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


@cli.command()
def worker(
    threads: Annotated[int, typer.Option(min=1, help="Jobs run at the same time.")] = 2,
) -> None:
    """Run background jobs (imports, detection, releases, training) from the shared queue.

    With PAIRWISE_REDIS_URL set, workers on other machines (a GPU box for training) share one queue;
    run the web app with PAIRWISE_WORKER_EMBEDDED=false then.
    """
    from huey.consumer import Consumer

    from app import migrate
    from app.db import get_engine
    from app.jobs import tasks
    from app.jobs.service import recover_jobs

    migrate.prepare()
    # Also fails import batches and release builds whose process died (conversations/releases on_recover).
    recover_jobs(get_engine())
    Consumer(tasks.huey, workers=threads, worker_type="thread", periodic=True).run()


@cli.command()
def demo() -> None:
    """Load demo data and create the demo admin and reviewer (passwords printed once)."""
    from app import migrate
    from app.db import get_engine
    from app.demo import load_demo

    settings = get_settings()
    if settings.mode != "demo":
        fail("demo data is only loaded in demo mode: run with PAIRWISE_MODE=demo (make run does)")
    migrate.prepare()
    result = load_demo(get_engine())
    if result.imported is not None:
        s = result.imported
        err.print(
            f"demo data: {s.conversations_added} conversations, {s.pairs_detected} candidate pairs",
            highlight=False,
        )
    for username, password in result.new_passwords.items():
        err.print(
            f"demo account  {username:<9} password: {password}   (shown once)", highlight=False, markup=False
        )
    if not result.new_passwords:
        err.print(
            "demo accounts exist already; reset one with: pairwise users set-password admin", highlight=False
        )


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (head by default)."""
    from app import migrate

    if revision == "head":
        migrate.prepare()
    else:
        migrate.upgrade(revision=revision)
    err.print(f"database at {revision}: {get_settings().database_url.split('@')[-1]}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")]) -> None:
    """Revert migrations down to REVISION."""
    from app import migrate

    migrate.downgrade(revision=revision)


@db_cli.command("revision")
def db_revision(message: Annotated[str, typer.Option("-m", "--message")]) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from app import migrate

    migrate.revision(message)


@cli.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders (recursive), .zip or .gz archives.")],
    format: Annotated[str, typer.Option("--format", help="auto or one of: " + ", ".join(FORMATS))] = "auto",
    source: Annotated[str | None, typer.Option(help="Source name stored with each conversation.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
) -> None:
    """Import transcripts and detect candidate pairs."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    from app import migrate
    from app.conversations.files import InputFile, Limits, iter_input_files
    from app.conversations.importing import run_import
    from app.db import get_engine
    from app.reaper import reap_stale_operations

    settings = get_settings()
    for path in paths:
        if not path.exists():
            fail(f"{path}: no such file or folder")
    migrate.prepare()
    reap_stale_operations(get_engine())
    limits = Limits(max_ratio=settings.max_zip_ratio, max_total_bytes=settings.max_zip_total_mb * 1024 * 1024)
    show_bar = not json_output and sys.stderr.isatty()
    # The bar's total needs a walk of every folder first (W1: 0.1 s for 10,000 files); without a bar, none.
    total = (
        sum(item.size for item in iter_input_files(paths, limits=limits) if isinstance(item, InputFile))
        if show_bar
        else None
    )
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not show_bar,
        transient=True,
    ) as bar:
        task = bar.add_task("importing", total=total)
        try:
            summary = run_import(
                get_engine(),
                paths=paths,
                format=format,
                source=source,
                chunk_size=settings.import_chunk_size,
                limits=limits,
                progress=lambda n: bar.advance(task, n),
            )
        except PairwiseError as exc:
            fail(str(exc))
    if json_output:
        data = summary.to_json()
        data["errors"] = [
            {"file": e["file"], "line": e.get("line"), "json_path": e.get("json_path"), "reason": e["reason"]}
            for e in summary.errors
        ]
        typer.echo(orjson.dumps(data).decode())
        return
    err.print(
        f"batch {summary.batch_id}: {summary.files} files, {summary.conversations_added} conversations added, "
        f"{summary.duplicates} duplicates skipped, {summary.pairs_detected} pairs detected, "
        f"{summary.error_count} records rejected",
        highlight=False,
    )
    if summary.pairs_linked:
        err.print(f"{summary.pairs_linked} pairs repeat earlier pairs: linked, not queued", highlight=False)
    if summary.skipped:
        reasons = ", ".join(f"{n} {reason}" for reason, n in summary.skipped.most_common())
        err.print(f"skipped (not conversations): {reasons}", highlight=False, markup=False)
    if summary.dropped:
        parts = ", ".join(
            f"{n} {kind} part{'s' if n != 1 else ''}" for kind, n in summary.dropped.most_common()
        )
        err.print(f"dropped: {parts}", highlight=False, markup=False)
    if summary.conversations_added == 0 and summary.duplicates and not summary.error_count:
        err.print("nothing new: every conversation was already imported", highlight=False)
    for e in summary.errors[:50]:
        where = f":{e['line']}" if e.get("line") else (f" {e['json_path']}" if e.get("json_path") else "")
        err.print(f"  {e['file']}{where}: {e['reason']}", highlight=False, markup=False)
    if summary.error_count > 50:
        err.print(f"  ... and {summary.error_count - 50} more (see the batch report)", highlight=False)


@pairs_cli.command("detect")
def pairs_detect(
    threshold: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Save a new review-queue threshold first.")
    ] = None,
) -> None:
    """Re-run detection over all conversations; never duplicates pairs, never touches reviewed ones."""
    from app import migrate
    from app.db import get_engine, session_scope
    from app.pairs.service import redetect
    from app.settings.service import get_value, set_value

    migrate.prepare()
    with session_scope(get_engine()) as session:
        if threshold is not None:
            set_value(session, key="detection_threshold", value=threshold)
        result = redetect(session)
        current = get_value(session, key="detection_threshold")
    err.print(
        f"{result.conversations} conversations scanned: {result.added} new pairs, {result.rescored} rescored, "
        f"{result.kept_reviewed} reviewed pairs kept; queue threshold {current}",
        highlight=False,
    )


@pairs_cli.command("list")
def pairs_list(
    status: Annotated[
        str | None, typer.Option(help="candidate, accepted, tie, not_a_pair or conflict.")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Include pairs scored below the queue threshold.")
    ] = False,
    output: Annotated[str, typer.Option("--format", help="table or jsonl.")] = "table",
    limit: Annotated[int | None, typer.Option(min=1)] = None,
) -> None:
    """List pairs that enter the review queue (score at or above the threshold)."""
    from rich.table import Table

    from app import migrate
    from app.db import get_engine, session_scope
    from app.pairs.models import PairStatus
    from app.pairs.views_data import iter_pair_details
    from app.settings.service import get_value

    if status is not None and status not in set(PairStatus):
        fail(f"unknown status {status!r}; choose one of: {', '.join(PairStatus)}")
    if output not in ("table", "jsonl"):
        fail(f"unknown format {output!r}; choose table or jsonl")
    migrate.prepare()
    with session_scope(get_engine(), read_only=True) as session:
        min_score = None if all_ else float(get_value(session, key="detection_threshold"))
        details = iter_pair_details(session, status=status, min_score=min_score, limit=limit)
        if output == "jsonl":
            out = sys.stdout.buffer
            for detail in details:
                out.write(orjson.dumps(detail.model_dump()) + b"\n")
            out.flush()
            return
        table = Table("id", "score", "status", "source", "pushback")
        for detail in details:
            pushback = (detail.pushback or "").replace("\n", " ")
            table.add_row(
                str(detail.id),
                f"{detail.score:.2f}",
                detail.status,
                f"{detail.source['file'].rsplit('/', 1)[-1]} {detail.source['external_id']}"[:50],
                pushback[:70] + ("…" if len(pushback) > 70 else ""),
            )
        Console().print(table)


def main() -> None:
    secure_data_dir(get_settings().data_dir)
    configure_logging()
    try:
        cli()
    finally:
        if (db := sys.modules.get("app.db")) is not None:  # the command used the database
            db.close_engine()
        # The interpreter's last collection walks every object the command made or imported (SQLAlchemy's
        # and the models' are hundreds of thousands) to find little garbage: frozen, they are skipped.
        # `pairwise import` of an empty folder: 0.84 to 0.95 s before, 0.63 to 0.66 s after. The database
        # connections are closed just before (that collection used to close them; unclosed, a SQLite
        # database would keep its write-ahead log beside it).
        gc.freeze()
