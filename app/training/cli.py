"""`pairwise train ...` and `pairwise runs list|show|cancel`."""

from __future__ import annotations

import threading
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app import migrate
from app.db import get_engine, session_scope
from app.errors import PairwiseError
from app.jobs import runner
from app.jobs.service import enqueue
from app.terminal import err, fail, print_json
from app.training import jobs as _handlers  # noqa: F401  (registers "train" and "poll" for --wait)
from app.training.models import TERMINAL, Backend, Method, TrainingRun, run_summary
from app.training.service import (
    DEFAULT_POLL_SECONDS,
    cancel_run,
    get_run,
    launch_run,
    list_runs,
    parse_param_args,
    run_events,
)

runs_cli = typer.Typer(help="Fine-tuning runs.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the run as JSON.")]


def train_command(
    release: Annotated[int, typer.Option("--release", help="Release id to train on.")],
    backend: Annotated[Backend, typer.Option(help="openai (a fine-tuning API) or trl (on a worker).")],
    model: Annotated[
        str,
        typer.Option(
            "--model", help="Base model: a provider model name, or for TRL a folder or cached model name."
        ),
    ],
    method: Annotated[
        Method | None, typer.Option(help="supervised or dpo (default: from the release kind).")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Hyperparameter name=value (repeat), e.g. n_epochs=3.")
    ] = None,
    suffix: Annotated[str | None, typer.Option(help="OpenAI: added to the fine-tuned model's name.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for a reproducible run.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Run here and wait until the run ends.")] = False,
    poll_interval: Annotated[
        float, typer.Option(help="Seconds between status polls (OpenAI).", min=0.01)
    ] = DEFAULT_POLL_SECONDS,
    json_output: JsonOpt = False,
) -> None:
    """Launch a fine-tune from a release. Without --wait a worker runs it (pairwise serve or pairwise worker)."""
    migrate.upgrade()
    engine = get_engine()
    try:
        params = parse_param_args(param or [])
        with session_scope(engine) as session:
            run, job = launch_run(
                session, release_id=release, backend=backend, base_model=model, method=method, params=params,
                suffix=suffix, seed=seed, poll_seconds=poll_interval,
            )  # fmt: skip
    except PairwiseError as exc:
        fail(str(exc))
    run_id, job_id = run.id or 0, job.id or 0
    if not wait:
        enqueue(job_id)
        if not json_output:
            err.print(
                f"run {run_id} queued (job {job_id}); follow it with: pairwise runs show {run_id}",
                highlight=False,
            )
    else:
        _run_here(run_id, job_id, quiet=json_output)
    with session_scope(engine, read_only=True) as session:
        final = get_run(session, run_id=run_id)
    if json_output:
        print_json(run_summary(final))
    elif wait:
        _print_outcome(final)
    if wait and final.status != "succeeded":
        raise typer.Exit(1)


def _run_here(run_id: int, job_id: int, *, quiet: bool) -> None:
    """Execute the job in this process (as a worker would), printing the run's log as it grows."""
    engine = get_engine()
    worker = threading.Thread(target=runner.execute, args=(engine, job_id), daemon=True)
    worker.start()
    seen = 0
    try:
        while True:
            alive = worker.is_alive()
            if not quiet:
                seen = _print_new_events(run_id, seen)
            if not alive:
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        err.print(
            f"stopped waiting; run {run_id} continues when a worker resumes it (pairwise runs cancel {run_id} to stop it)",
            highlight=False,
        )
        raise typer.Exit(130) from None


def _print_new_events(run_id: int, seen: int) -> int:
    with session_scope(get_engine(), read_only=True) as session:
        events = run_events(session, run_id=run_id, limit=500)
    for event in events:
        if (event.id or 0) > seen:
            err.print(f"[{event.level}] {event.message}", highlight=False, markup=False)
            seen = event.id or 0
    return seen


def _print_outcome(run: TrainingRun) -> None:
    err.print(f"run {run.id}: {run.status}", highlight=False)
    if run.result_model:
        err.print(f"model: {run.result_model}", highlight=False, markup=False)
    if run.error:
        err.print(f"error: {run.error}", highlight=False, markup=False)


@runs_cli.command("list")
def runs_list(json_output: JsonOpt = False) -> None:
    """List training runs, newest first."""
    migrate.upgrade()
    with session_scope(get_engine(), read_only=True) as session:
        runs = list_runs(session, limit=500)
    if json_output:
        print_json([run_summary(r) for r in runs])
        return
    table = Table("id", "release", "backend", "method", "base model", "status", "result", "created")
    for r in runs:
        table.add_row(
            str(r.id), str(r.release_id), r.backend, r.method, r.base_model, r.status,
            r.result_model or (r.error or "")[:60], f"{r.created_at:%Y-%m-%d %H:%M}",
        )  # fmt: skip
    Console().print(table)


@runs_cli.command("show")
def runs_show(
    run_id: Annotated[int, typer.Argument(metavar="ID")],
    json_output: JsonOpt = False,
) -> None:
    """Show one run and its latest log lines."""
    migrate.upgrade()
    try:
        with session_scope(get_engine(), read_only=True) as session:
            run = get_run(session, run_id=run_id)
            events = run_events(session, run_id=run_id, limit=50)
    except PairwiseError as exc:
        fail(str(exc))
    if json_output:
        print_json({**run_summary(run), "hyperparameters": run.hyperparameters,
                     "events": [{"at": e.created_at.isoformat(), "level": e.level, "message": e.message} for e in events]})  # fmt: skip
        return
    _print_outcome(run)
    for event in events:
        err.print(
            f"  {event.created_at:%H:%M:%S} [{event.level}] {event.message}", highlight=False, markup=False
        )


@runs_cli.command("cancel")
def runs_cancel(
    run_id: Annotated[int, typer.Argument(metavar="ID")],
    json_output: JsonOpt = False,
) -> None:
    """Cancel a run: its job stops the provider job or the training process."""
    migrate.upgrade()
    try:
        with session_scope(get_engine()) as session:
            run = cancel_run(session, run_id=run_id)
    except PairwiseError as exc:
        fail(str(exc))
    if json_output:
        print_json(run_summary(run))
        return
    done = run.status in TERMINAL
    err.print(
        f"run {run_id}: {'cancelled' if done else 'cancel requested; the worker stops it'}", highlight=False
    )
