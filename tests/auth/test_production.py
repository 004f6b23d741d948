"""S10: no default secret in production mode; demo accounts only in demo mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from app.auth.models import User
from app.config import InsecureSettingsError, get_settings
from app.db import session_scope
from tests.web_helpers import count


def _mode(monkeypatch: pytest.MonkeyPatch, mode: str, secret: str | None) -> None:
    monkeypatch.setenv("PAIRWISE_MODE", mode)
    if secret is None:
        monkeypatch.delenv("PAIRWISE_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("PAIRWISE_SECRET_KEY", secret)
    get_settings.cache_clear()


class TestProductionSecret:
    @pytest.mark.parametrize(
        "secret", [None, "", "changeme", "secret", "pairwise", "dev", "short-but-random-1234"]
    )
    def test_create_app_refuses_an_empty_default_or_short_secret(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, secret: str | None
    ) -> None:
        monkeypatch.chdir(tmp_path)  # no stray .env file
        _mode(monkeypatch, "production", secret)
        from app.main import create_app

        with pytest.raises(InsecureSettingsError, match="PAIRWISE_SECRET_KEY"):
            create_app()

    def test_a_long_random_secret_is_accepted(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.chdir(tmp_path)
        _mode(monkeypatch, "production", "k" * 16 + "0123456789abcdef0123456789")
        from app.main import create_app

        assert create_app() is not None

    def test_production_never_generates_a_secret(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.chdir(tmp_path)
        _mode(monkeypatch, "production", None)
        with pytest.raises(InsecureSettingsError):
            get_settings().resolved_secret_key()
        assert not (get_settings().data_dir / "secret_key").exists()

    def test_serve_refuses_with_a_clear_message(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        import uvicorn

        from app.cli import cli

        monkeypatch.chdir(tmp_path)
        _mode(monkeypatch, "production", "")
        monkeypatch.setattr(
            uvicorn, "run", lambda *a, **k: pytest.fail("serve started in production with no secret")
        )
        result = CliRunner().invoke(cli, ["serve"])
        assert result.exit_code == 1
        # A refusal, not a crash: the message, no traceback.
        assert isinstance(result.exception, SystemExit), repr(result.exception)
        assert "PAIRWISE_SECRET_KEY is empty" in result.output


class TestDemoAccounts:
    def test_migrations_create_no_account(self, engine: Engine) -> None:
        assert count(engine, User) == 0

    @pytest.mark.parametrize("mode", ["production", "test"])
    def test_demo_command_refuses_outside_demo_mode(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch, mode: str
    ) -> None:
        from app.cli import cli

        _mode(monkeypatch, mode, "k" * 48)
        result = CliRunner().invoke(cli, ["demo"])
        assert result.exit_code == 1
        assert "only loaded in demo mode" in result.output
        assert count(engine, User) == 0

    def test_demo_command_creates_admin_and_reviewer_in_demo_mode(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from app.cli import cli

        _mode(monkeypatch, "demo", None)
        result = CliRunner().invoke(cli, ["demo"])
        assert result.exit_code == 0, result.output
        with session_scope(engine, read_only=True) as session:
            users = {u.username: u.role for u in session.execute(select(User)).scalars()}
        assert users == {"admin": "admin", "reviewer": "reviewer"}
        assert "demo account  admin" in result.output
        again = CliRunner().invoke(cli, ["demo"])
        assert again.exit_code == 0
        assert "demo accounts exist already" in again.output

    def test_load_demo_refuses_in_production_mode(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Defence in depth: the function that creates the accounts checks the mode itself."""
        from app.demo import load_demo

        _mode(monkeypatch, "production", "k" * 48)
        with pytest.raises(Exception, match="demo mode"):
            load_demo(engine)
        assert count(engine, User) == 0


class TestCommandLine:
    @pytest.mark.parametrize("level", ["INFO", "info", "debug"])
    def test_log_level_is_case_insensitive(self, tmp_path: Path, level: str) -> None:
        """PAIRWISE_LOG_LEVEL=info is what people write (uvicorn takes it lowercase); the CLI must start."""
        import os
        import subprocess

        from tests.web_helpers import PAIRWISE

        env = {**os.environ, "PAIRWISE_LOG_LEVEL": level, "PAIRWISE_DATA_DIR": str(tmp_path)}
        result = subprocess.run([PAIRWISE, "--help"], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr[-500:]
        assert "serve" in result.stdout
