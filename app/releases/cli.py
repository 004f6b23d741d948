"""`pairwise releases ...` and `pairwise export`: dataset files from reviewed pairs."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, cast

import orjson
import typer
from rich.console import Console
from rich.table import Table

from app import migrate
from app.config import get_settings
from app.db import get_engine, session_scope
from app.errors import PairwiseError
from app.liveness import heartbeat
from app.models_base import table_of
from app.patterns.service import current_version_id
from app.reaper import reap_stale_operations
from app.releases.export.dataset import export_file
from app.releases.export.lint import LintReport
from app.releases.export.options import DEFAULT_LICENSE, ExportOptions
from app.releases.models import DatasetRelease
from app.releases.service import (
    claim_release,
    create_release,
    finish_release,
    get_release,
    list_releases,
    write_release_files,
)
from app.terminal import err, fail

releases_cli = typer.Typer(
    help="Dataset releases (frozen exports with a manifest and lint report).", no_args_is_help=True
)

KindOpt = Annotated[str, typer.Option(help="sft or dpo.")]
FormatOpt = Annotated[str, typer.Option("--format", help="openai, trl or parquet.")]
StatusOpt = Annotated[
    str, typer.Option(help="Pair status to export: accepted (default), candidate or conflict.")
]
SplitOpt = Annotated[
    float, typer.Option(min=0.0, max=0.99, help="Validation fraction, e.g. 0.1 (0: no split).")
]
SeedOpt = Annotated[int, typer.Option(help="Seed of the train/validation assignment.")]
MinScoreOpt = Annotated[float | None, typer.Option(help="Only pairs scored at least this.")]
SourceOpt = Annotated[str | None, typer.Option(help="Only conversations from this source name.")]
PatternOpt = Annotated[
    list[str] | None, typer.Option("--pattern", help="Chosen answer tagged with this (repeat).")
]
NoPatternOpt = Annotated[
    list[str] | None, typer.Option("--without-pattern", help="Chosen answer not tagged with this (repeat).")
]
SystemOpt = Annotated[
    str | None, typer.Option(help="Use this system prompt on every row instead of the conversation's.")
]
DropSystemOpt = Annotated[bool, typer.Option("--drop-system", help="Write no system messages.")]
OriginalOpt = Annotated[
    bool, typer.Option("--original-chosen", help="Export the chosen answer without gold edits.")
]
StyleOpt = Annotated[
    str, typer.Option("--dpo-style", help="TRL DPO: conversational (default) or standard strings.")
]
ContextOpt = Annotated[
    bool,
    typer.Option(
        "--keep-context", help="Keep IDE/shell context (<ide_selection>, <bash-stdout>, ...) in prompts."
    ),
]
ModelOpt = Annotated[str | None, typer.Option(help="Model for token limits and the cost estimate.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable result.")]
KeepLeakyOpt = Annotated[
    bool, typer.Option(help="Keep rows whose chosen answer still leaks the follow-up (excluded by default).")
]
SuggestionsOpt = Annotated[
    bool,
    typer.Option(help="Use accepted and unreviewed model suggestions as gold (recorded in the manifest)."),
]
ToolsOpt = Annotated[
    str,
    typer.Option(help="drop: text answers only; keep: tool_calls on assistant messages plus tool messages."),
]
LicenseOpt = Annotated[
    str, typer.Option(help="License of the dataset card (an identifier such as cc-by-4.0).")
]


# The export options of both `pairwise export` and `pairwise releases build`, in the order their help lists them:
# add an option here (and to ExportOptions) and both commands take it.
EXPORT_PARAMETERS: tuple[tuple[str, Any, Any], ...] = (
    ("kind", KindOpt, inspect.Parameter.empty),
    ("format", FormatOpt, inspect.Parameter.empty),
    ("status", StatusOpt, "accepted"),
    ("split", SplitOpt, 0.0),
    ("seed", SeedOpt, 0),
    ("min_score", MinScoreOpt, None),
    ("source", SourceOpt, None),
    ("pattern", PatternOpt, None),
    ("without_pattern", NoPatternOpt, None),
    ("system_prompt", SystemOpt, None),
    ("drop_system", DropSystemOpt, False),
    ("original_chosen", OriginalOpt, False),
    ("dpo_style", StyleOpt, "conversational"),
    ("model", ModelOpt, None),
    ("keep_context", ContextOpt, False),
    ("keep_leaky", KeepLeakyOpt, False),
    ("use_suggestions", SuggestionsOpt, False),
    ("tools", ToolsOpt, "drop"),
    ("license", LicenseOpt, DEFAULT_LICENSE),
)


def _options(
    *,
    system_prompt: str | None,
    drop_system: bool,
    pattern: list[str] | None,
    without_pattern: list[str] | None,
    **values: Any,
) -> ExportOptions:
    """The export flags as the one ExportOptions; an invalid value ends the command in words."""
    if system_prompt is not None and drop_system:
        fail("--system-prompt and --drop-system exclude each other")
    policy = "drop" if drop_system else ("set" if system_prompt is not None else "keep")
    try:
        return ExportOptions.parse(
            **values, system_policy=policy, system_prompt=system_prompt, patterns_present=pattern or (),
            patterns_absent=without_pattern or (),
        )  # fmt: skip
    except PairwiseError as exc:
        fail(str(exc))


def with_export_options(command: Callable[..., None]) -> Callable[..., None]:
    """A command that takes `options: ExportOptions`: its CLI takes the EXPORT_PARAMETERS flags (after its own
    required ones, before its own optional ones) and hands them to it as one ExportOptions, validated before the
    command runs."""
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "options"]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        for name, annotation, default in EXPORT_PARAMETERS
    ]
    names = [name for name, _, _ in EXPORT_PARAMETERS]

    @functools.wraps(command)
    def wrapper(**values: Any) -> None:
        options = _options(**{name: values.pop(name) for name in names})
        command(**values, options=options)

    required = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own if p.default is p.empty]
    optional = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own if p.default is not p.empty]
    cast(Any, wrapper).__signature__ = inspect.Signature([*required, *shared, *optional])
    return wrapper


def _print_lint(lint: LintReport | dict[str, Any] | None) -> None:
    data = lint.to_json() if isinstance(lint, LintReport) else lint
    if not data:
        return
    estimate = data["estimate"]
    cost = f"${estimate['cost_usd']:.2f}" if estimate["cost_usd"] is not None else "unknown price"
    err.print(
        f"lint ({data['model']}, {data['encoding']}): {data['tokens']['total']} tokens, "
        f"~{estimate['billed_tokens']} billed over {estimate['epochs']} epochs, {cost} "
        f"(estimate, prices as of {estimate['prices_as_of']})",
        highlight=False, markup=False,
    )  # fmt: skip
    for issue in data["issues"]:
        colour = "red" if issue["severity"] == "error" else "yellow"
        err.print(f"  [{colour}]{issue['severity']}[/{colour}] {issue['code']} ({issue['count']}): ", end="")
        err.print(issue["message"], highlight=False, markup=False)
    if data["has_errors"]:
        err.print("the lint report has errors: fix them before launching a fine-tune", highlight=False)


@with_export_options
def export_command(
    out: Annotated[
        Path, typer.Option(help="Output file; with --split also OUT with .validation before the suffix.")
    ],
    options: ExportOptions,
    json_output: JsonOpt = False,
) -> None:
    """Export reviewed pairs to SFT or DPO files (not recorded as a release)."""
    migrate.upgrade()
    try:
        with session_scope(get_engine(), read_only=True) as session:
            result = export_file(session, out=out, options=options)
    except (PairwiseError, OSError) as exc:
        fail(str(exc))
    if json_output:
        typer.echo(orjson.dumps(result.to_json()).decode())
        return
    for file in result.files:
        err.print(
            f"{file.split}: {file.rows} rows -> {file.path}  sha256 {file.sha256}",
            highlight=False,
            markup=False,
        )
    _print_lint(result.lint)


@releases_cli.command("build")
@with_export_options
def build(
    name: Annotated[str, typer.Option(help="Release name.")],
    options: ExportOptions,
    json_output: JsonOpt = False,
) -> None:
    """Build a frozen release under <data_dir>/releases/ and print its id and manifest."""
    settings = get_settings()
    migrate.upgrade()
    engine = get_engine()
    reap_stale_operations(engine)
    try:
        # Three units of work: the long middle one only reads, so on SQLite reviewers are never blocked.
        with session_scope(engine) as session:
            release = create_release(
                session, name=name, options=options, taxonomy_version_id=current_version_id(session)
            )
            claim_release(session, release=release)
        assert release.id is not None
        with (
            heartbeat(engine, table_of(DatasetRelease), release.id),
            session_scope(engine, read_only=True) as session,
        ):
            outcome = write_release_files(session, release=release, data_dir=settings.data_dir)
        with session_scope(engine) as session:
            release = finish_release(
                session, release=get_release(session, release_id=release.id or 0), outcome=outcome
            )
    except PairwiseError as exc:
        fail(str(exc))
    if release.status != "ready":
        fail(f"release {release.id} failed: {release.error}")
    manifest = orjson.loads((settings.data_dir / (release.directory or "") / "manifest.json").read_bytes())
    if json_output:
        typer.echo(
            orjson.dumps({"id": release.id, "directory": release.directory, "manifest": manifest}).decode()
        )
        return
    err.print(f"release {release.id} ready: {settings.data_dir / (release.directory or '')}", highlight=False)
    for file in release.files:
        rows = f"{file['rows']} rows" if file["rows"] is not None else ""
        err.print(f"  {file['name']:<22} {rows:>12}  sha256 {file['sha256']}", highlight=False, markup=False)
    _print_lint(release.lint)


@releases_cli.command("list")
def list_(json_output: JsonOpt = False) -> None:
    """List releases, newest first."""
    migrate.upgrade()
    with session_scope(get_engine(), read_only=True) as session:
        releases = list_releases(session)
    if json_output:
        typer.echo(orjson.dumps([_summary(r) for r in releases]).decode())
        return
    table = Table("id", "name", "kind", "format", "status", "train", "validation", "lint", "created")
    for r in releases:
        lint = "-" if not r.lint else ("errors" if r.lint.get("has_errors") else "ok")
        table.add_row(
            str(r.id), r.name, r.kind, r.format, r.status, str(r.counts.get("train", "")),
            str(r.counts.get("validation", "")), lint, f"{r.created_at:%Y-%m-%d %H:%M}",
        )  # fmt: skip
    Console().print(table)


@releases_cli.command("show")
def show(release_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Print one release as JSON (files, counts, filters, lint report)."""
    migrate.upgrade()
    try:
        with session_scope(get_engine(), read_only=True) as session:
            release = get_release(session, release_id=release_id)
    except PairwiseError as exc:
        fail(str(exc))
    typer.echo(orjson.dumps({**_summary(release), "lint": release.lint}, option=orjson.OPT_INDENT_2).decode())


def _summary(release: DatasetRelease) -> dict[str, Any]:
    return {
        "id": release.id,
        "name": release.name,
        "kind": release.kind,
        "format": release.format,
        "status": release.status,
        "filters": release.filters,
        "options": release.options,
        "split": release.split,
        "seed": release.seed,
        "directory": release.directory,
        "files": release.files,
        "counts": release.counts,
        "manifest_sha256": release.manifest_sha256,
        "taxonomy_version_id": release.taxonomy_version_id,
        "created_by_id": release.created_by_id,
        "created_at": release.created_at.isoformat(),
        "error": release.error,
    }
