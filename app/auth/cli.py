"""`pairwise users ...`: accounts are created by admins only, never by self sign-up."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from app import migrate
from app.auth.models import User
from app.auth.service import create_user, list_users, require_user, set_active, set_password
from app.auth.tokens import create_token
from app.db import get_engine, session_scope
from app.errors import PairwiseError, ValidationFailedError
from app.terminal import err, fail

users_cli = typer.Typer(help="User accounts.", no_args_is_help=True)


def _read_password(password_stdin: bool) -> str:
    if not password_stdin:
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise typer.BadParameter("no password on stdin", param_hint="--password-stdin")
    return password


@users_cli.command("add")
def add(
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="admin or reviewer")] = "reviewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a user."""
    password = _read_password(password_stdin)
    migrate.prepare()
    try:
        with session_scope(get_engine()) as session:
            create_user(session, username=username, password=password, role=role)
    except PairwiseError as exc:
        fail(str(exc))
    err.print(f"created {role} {username}", highlight=False)


@users_cli.command("list")
def list_() -> None:
    """List users."""
    migrate.prepare()
    with session_scope(get_engine(), read_only=True) as session:
        table = Table("username", "role", "active", "created")
        for user in list_users(session):
            table.add_row(
                user.username, user.role, "yes" if user.is_active else "no", f"{user.created_at:%Y-%m-%d}"
            )
    Console().print(table)


@users_cli.command("disable")
def disable(username: Annotated[str, typer.Argument()]) -> None:
    """Disable a user and end their sessions."""
    _change(username, lambda session, user: set_active(session, user=user, active=False), "disabled")


@users_cli.command("enable")
def enable(username: Annotated[str, typer.Argument()]) -> None:
    """Re-enable a disabled user."""
    _change(username, lambda session, user: set_active(session, user=user, active=True), "enabled")


@users_cli.command("set-password")
def set_password_(
    username: Annotated[str, typer.Argument()],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Set a new password and end the user's sessions."""
    password = _read_password(password_stdin)
    _change(
        username,
        lambda session, user: set_password(session, user=user, password=password),
        "password changed",
    )


@users_cli.command("token")
def token(
    username: Annotated[str, typer.Argument()],
    label: Annotated[str, typer.Option(help="What the token is for (shown on the tokens page).")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"token": ..., "user": ...}.')] = False,
) -> None:
    """Create an API token for a user and print it once (it is stored only as a hash)."""
    migrate.upgrade()
    try:
        with session_scope(get_engine()) as session:
            user = require_user(session, username=username)
            if not user.is_active:
                raise ValidationFailedError(f"user {user.username!r} is disabled")
            _, plain = create_token(session, user=user, name=label)
            name = user.username
    except PairwiseError as exc:
        fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps({"token": plain, "user": name}) + "\n")
    else:
        sys.stdout.write(plain + "\n")
        err.print(f"created API token {label!r} for {name}; it is shown only this once", highlight=False)


def _change(username: str, action: Callable[[Session, User], None], done: str) -> None:
    migrate.prepare()
    try:
        with session_scope(get_engine()) as session:
            action(session, require_user(session, username=username))
    except PairwiseError as exc:
        fail(str(exc))
    err.print(f"{username}: {done}", highlight=False)
