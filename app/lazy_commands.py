"""Command groups of other packages, listed by `pairwise --help` from their help texts and imported only to run.

Keeps the CLI's start-up short: `pairwise import` never loads the export, training or evaluation stacks.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# name -> (module, attribute, help as listed by `pairwise --help`); commands first, then groups, as shown.
LAZY_COMMANDS = {
    "export": (
        "app.releases.cli",
        "export_command",
        "Export reviewed pairs to SFT or DPO files (not recorded as a release).",
    ),
    "train": (
        "app.training.cli",
        "train_command",
        "Launch a fine-tune from a release. Without --wait a worker runs it (pairwise serve or pairwise worker).",
    ),
}
LAZY_GROUPS = {
    "users": ("app.auth.cli", "users_cli", "User accounts."),
    "releases": (
        "app.releases.cli",
        "releases_cli",
        "Dataset releases (frozen exports with a manifest and lint report).",
    ),
    "runs": ("app.training.cli", "runs_cli", "Fine-tuning runs."),
    "eval": ("app.evaluation.cli", "eval_cli", "Evaluate fine-tuned models on held-out prompts."),
    "search": (
        "app.conversations.search_cli",
        "search_cli",
        "The full-text search index (FTS5 on SQLite, turn_search on PostgreSQL).",
    ),
}
LAZY = {**LAZY_COMMANDS, **LAZY_GROUPS}


def load_command(name: str) -> Any:
    """The click command of a lazily registered command or group, importing its module."""
    module, attribute, _ = LAZY[name]
    target = getattr(importlib.import_module(module), attribute)
    # Built inside a stand-in parent, so it comes out exactly as it would registered on `cli` itself.
    parent = typer.Typer(add_completion=False)
    parent.callback()(lambda: None)
    if isinstance(target, typer.Typer):
        parent.add_typer(target, name=name)
    else:
        parent.command(name)(target)
    return typer.main.get_command(parent).commands[name]  # type: ignore[attr-defined]


class LazyGroup(TyperGroup):
    """The top-level group: lists every command, imports a lazy one's module only to run it."""

    listing = False

    # Typer's own click types (it bundles click): Any here rather than its private module.
    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        groups = [name for name in names if isinstance(self.commands[name], TyperGroup)]
        commands = [name for name in names if name not in groups]
        return [*LAZY_COMMANDS, *commands, *groups, *LAZY_GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in LAZY:
            return super().get_command(ctx, cmd_name)
        if self.listing:
            return TyperCommand(cmd_name, help=LAZY[cmd_name][2])
        return load_command(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False
