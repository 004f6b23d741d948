"""What every command prints: an error in words on stderr (ending the command), JSON on stdout."""

from __future__ import annotations

from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console

# Soft wrap: a message is never broken into lines at the terminal width (a file path cut in two cannot be
# pasted, and a log or pipe has no width).
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` as plain text (brackets in it are not markup) and end the command with `code`."""
    err.print("[red]error:[/red] ", end="", highlight=False)
    err.print(message, highlight=False, markup=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    typer.echo(orjson.dumps(data).decode())
