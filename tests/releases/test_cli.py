"""`pairwise export` and `pairwise releases build|list|show`, through Typer's runner."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.db import session_scope
from app.releases.cli import EXPORT_PARAMETERS, export_command, releases_cli
from app.releases.export.options import ExportOptions
from tests.releases.factories import add_many
from tests.releases.openai_validator import validate_file

# Wired as the lead will wire it in app/cli.py.
cli = typer.Typer()
cli.command("export")(export_command)
cli.add_typer(releases_cli, name="releases")
runner = CliRunner()


@pytest.fixture
def seeded(release_engine: Engine) -> Engine:
    with session_scope(release_engine) as session:
        add_many(session, 30)
    return release_engine


def test_export_json(seeded: Engine, tmp_path: Path) -> None:
    out = tmp_path / "dpo.jsonl"
    result = runner.invoke(
        cli,
        [
            "export",
            "--kind",
            "dpo",
            "--format",
            "openai",
            "--out",
            str(out),
            "--split",
            "0.2",
            "--seed",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    assert [f["path"] for f in data["files"]] == [str(out), str(tmp_path / "dpo.validation.jsonl")]
    assert data["counts"]["total"] == 30
    assert data["lint"]["has_errors"] is False
    assert validate_file(out, method="dpo") == []


def test_export_human_output_and_errors(seeded: Engine, tmp_path: Path) -> None:
    out = tmp_path / "sft.parquet"
    result = runner.invoke(cli, ["export", "--kind", "sft", "--format", "parquet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "train: 30 rows" in result.stderr
    assert out.exists()
    for args, message in (
        (["--kind", "ppo", "--format", "openai"], "unknown kind 'ppo'"),
        (["--kind", "sft", "--format", "openai", "--status", "tie"], "cannot export pairs with status 'tie'"),
        (
            ["--kind", "sft", "--format", "openai", "--system-prompt", "x", "--drop-system"],
            "exclude each other",
        ),
    ):
        result = runner.invoke(cli, ["export", *args, "--out", str(tmp_path / "x.jsonl")])
        assert result.exit_code == 1
        assert message in result.stderr
        assert "Traceback" not in result.output


def test_releases_build_list_show(seeded: Engine, data_dir: Path) -> None:
    result = runner.invoke(
        cli,
        [
            "releases",
            "build",
            "--name",
            "first",
            "--kind",
            "sft",
            "--format",
            "openai",
            "--split",
            "0.1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    built = orjson.loads(result.stdout)
    assert built["manifest"]["counts"]["total"] == 30
    assert (data_dir / built["directory"] / "train.jsonl").exists()

    result = runner.invoke(
        cli, ["releases", "build", "--name", "second", "--kind", "dpo", "--format", "trl", "--keep-context"]
    )
    assert result.exit_code == 0, result.output
    assert "ready" in result.stderr

    result = runner.invoke(cli, ["releases", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = orjson.loads(result.stdout)
    assert [r["name"] for r in listed] == ["second", "first"]
    result = runner.invoke(cli, ["releases", "show", str(listed[0]["id"])])
    assert orjson.loads(result.stdout)["options"]["keep_context"] is True

    result = runner.invoke(cli, ["releases", "show", str(built["id"])])
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.stdout)
    assert shown["id"] == built["id"]
    assert shown["options"]["keep_context"] is False
    assert shown["status"] == "ready"
    assert shown["lint"]["rows"]["train"] == built["manifest"]["counts"]["train"]

    result = runner.invoke(cli, ["releases", "show", "999"])
    assert result.exit_code == 1
    assert "release 999 does not exist" in result.stderr


def test_both_commands_take_the_one_export_option_list() -> None:
    """The export flags are declared once (EXPORT_PARAMETERS) and cover every field of ExportOptions."""
    group = typer.main.get_group(cli)
    export = group.commands["export"]
    releases = group.commands["releases"]
    assert isinstance(releases, typer.core.TyperGroup)
    build = releases.commands["build"]
    shared = [name for name, _, _ in EXPORT_PARAMETERS]
    assert [p.name for p in export.params] == ["out", *shared, "json_output"]
    assert [p.name for p in build.params] == ["name", *shared, "json_output"]
    for command in (export, build):
        flags = {p.name: p.opts for p in command.params}
        assert flags["keep_leaky"] == ["--keep-leaky"]
        assert flags["pattern"] == ["--pattern"]
    # --system-prompt/--drop-system choose the system policy; --pattern/--without-pattern fill the pattern filters.
    mapped = {"system_policy", "patterns_present", "patterns_absent"}
    assert set(ExportOptions.model_fields) - mapped <= set(shared)
