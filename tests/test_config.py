"""Settings: production refuses unsafe secrets, demo keeps a generated one, local defaults need no config."""

from __future__ import annotations

import math
import secrets
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import app.cli as cli_module
from app import migrate
from app.config import INSECURE_SECRETS, InsecureSettingsError, Settings, get_settings

SAFE_SECRET = "q7Vn2LxR9pTk4WcZ8mHs3JdF6gYb1NeA"  # exactly 32 characters, 32 distinct
MESSAGE = "PAIRWISE_SECRET_KEY is empty, a default, or shorter than 32 characters."


@pytest.fixture(autouse=True)
def _no_env_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAIRWISE_DATABASE_URL", raising=False)


def _partitions(total: int, *, largest: int, parts: int) -> Iterator[list[int]]:
    """Every way to write `total` as at most `parts` counts, largest first."""
    if total == 0:
        yield []
        return
    if parts == 0:
        return
    for first in range(min(total, largest), 0, -1):
        for rest in _partitions(total - first, largest=first, parts=parts - 1):
            yield [first, *rest]


def _probability_of_counts(counts: list[int], *, alphabet: int) -> float:
    """The chance that len = sum(counts) uniform draws from `alphabet` symbols show exactly these counts."""
    symbols = math.perm(alphabet, len(counts))
    for repeats in Counter(counts).values():
        symbols //= math.factorial(repeats)
    orders = math.factorial(sum(counts))
    for count in counts:
        orders //= math.factorial(count)
    return symbols * orders / alphabet ** sum(counts)


class TestProductionSecret:
    @pytest.mark.parametrize(
        "secret",
        [*sorted(INSECURE_SECRETS), "CHANGEME", "  changeme  ", "Pairwise", "x" * 31, "s3cr3t-but-short"],
    )
    def test_unsafe_secret_is_refused(self, secret: str) -> None:
        settings = Settings(mode="production", secret_key=secret)
        with pytest.raises(
            InsecureSettingsError, match="PAIRWISE_SECRET_KEY is empty, a default, or shorter"
        ):
            settings.require_safe()
        with pytest.raises(InsecureSettingsError):
            settings.resolved_secret_key()

    @pytest.mark.parametrize(
        "secret",
        ["a" * 32, "changeme" * 4, "ab" * 20, "0123" * 10, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbcdefg"],
    )  # fmt: skip
    def test_a_long_but_predictable_secret_is_refused(self, secret: str) -> None:
        settings = Settings(mode="production", secret_key=secret)
        with pytest.raises(InsecureSettingsError, match="too predictable"):
            settings.require_safe()

    @pytest.mark.parametrize("make", [lambda: secrets.token_hex(16), lambda: secrets.token_urlsafe(32)])
    def test_generated_secrets_are_accepted(self, make: Callable[[], str]) -> None:
        for _ in range(200):
            Settings(mode="production", secret_key=make()).require_safe()

    def test_a_random_hex_key_is_almost_never_refused(self) -> None:
        """Exactly: the chance that the check refuses a `secrets.token_hex(16)` key, summed over every way
        32 draws of 16 digits can fall (each multiset of counts, checked once on a key with those counts)."""
        refused = 0.0
        for counts in _partitions(32, largest=32, parts=16):
            key = "".join(digit * count for digit, count in zip("0123456789abcdef", counts, strict=False))
            # Built without reading the environment (9 s over every partition): the check reads only these fields.
            try:
                Settings.model_construct(mode="production", secret_key=key).require_safe()
            except InsecureSettingsError:
                refused += _probability_of_counts(counts, alphabet=16)
        assert refused < 1e-7  # was 1.6e-4 with 10 distinct characters and 96 bits

    def test_a_random_key_from_the_far_tail_is_accepted(self) -> None:
        # A token_hex(16) output with 9 distinct digits and ~88.5 estimated bits.
        tail_key = "7d07a47ca7a071aaac0ca0f71a114eaa"
        Settings(mode="production", secret_key=tail_key).require_safe()

    def test_insecure_defaults_are_listed(self) -> None:
        assert {"", "changeme", "secret", "pairwise"} <= INSECURE_SECRETS

    def test_long_secret_is_accepted(self) -> None:
        settings = Settings(mode="production", secret_key=SAFE_SECRET)
        settings.require_safe()
        assert settings.resolved_secret_key() == SAFE_SECRET

    def test_production_is_the_default_mode(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("PAIRWISE_MODE")
        monkeypatch.delenv("PAIRWISE_SECRET_KEY")
        settings = Settings()
        assert settings.mode == "production"
        with pytest.raises(InsecureSettingsError):
            settings.require_safe()

    @pytest.mark.parametrize("mode", ["demo", "test"])
    def test_other_modes_do_not_refuse(self, mode: str) -> None:
        Settings(mode=mode, secret_key="").require_safe()


class TestGeneratedSecret:
    def test_demo_mode_generates_and_keeps_a_secret_in_the_data_dir(self, tmp_path: Path) -> None:
        data_dir = tmp_path / "demo-data"
        first = Settings(mode="demo", secret_key="", data_dir=data_dir).resolved_secret_key()
        path = data_dir / "secret_key"
        assert path.read_text() == first
        assert len(first) >= 32
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # A restart (new Settings) reads the same secret back.
        assert Settings(mode="demo", secret_key="", data_dir=data_dir).resolved_secret_key() == first

    def test_each_data_dir_gets_its_own_secret(self, tmp_path: Path) -> None:
        one = Settings(mode="demo", secret_key="", data_dir=tmp_path / "one").resolved_secret_key()
        two = Settings(mode="demo", secret_key="", data_dir=tmp_path / "two").resolved_secret_key()
        assert one != two

    def test_a_configured_secret_wins_in_demo_mode(self, tmp_path: Path) -> None:
        settings = Settings(mode="demo", secret_key="configured", data_dir=tmp_path)
        assert settings.resolved_secret_key() == "configured"
        assert not (tmp_path / "secret_key").exists()


class TestDatabaseUrl:
    def test_default_is_sqlite_under_the_data_dir(self, tmp_path: Path) -> None:
        settings = get_settings()
        assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'pairwise.db'}"
        assert settings.is_sqlite is True

    def test_relative_data_dir_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("PAIRWISE_DATA_DIR")
        assert Settings().database_url == "sqlite:///data/pairwise.db"

    def test_environment_url_is_kept(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PAIRWISE_DATABASE_URL", "postgresql://pw@db/pairwise")
        settings = Settings()
        assert settings.database_url == "postgresql://pw@db/pairwise"
        assert settings.is_sqlite is False

    def test_environment_overrides(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PAIRWISE_DETECTION_THRESHOLD", "0.8")
        monkeypatch.setenv("PAIRWISE_PORT", "9000")
        settings = Settings()
        assert (settings.detection_threshold, settings.port) == (0.8, 9000)

    def test_threshold_out_of_range_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PAIRWISE_DETECTION_THRESHOLD", "1.5")
        with pytest.raises(ValueError, match="detection_threshold"):
            Settings()


class TestServeCommand:
    @pytest.fixture
    def calls(self, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
        import uvicorn

        calls: list[tuple[str, object]] = []
        # `serve` prepares the database (upgrade, then first-run data such as the default patterns).
        monkeypatch.setattr(migrate, "prepare", lambda *a, **k: calls.append(("upgrade", None)))
        monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append(("run", k)))
        return calls

    @pytest.mark.parametrize("secret", ["", "changeme", "short-secret"])
    def test_serve_refuses_an_unsafe_secret_in_production(
        self, monkeypatch: pytest.MonkeyPatch, calls: list, secret: str
    ) -> None:
        monkeypatch.setenv("PAIRWISE_MODE", "production")
        monkeypatch.setenv("PAIRWISE_SECRET_KEY", secret)
        get_settings.cache_clear()
        result = CliRunner().invoke(cli_module.cli, ["serve"])
        assert result.exit_code == 1
        assert result.stderr.startswith("error: " + MESSAGE)
        assert "PAIRWISE_MODE=demo" in result.stderr
        assert calls == []  # neither migrated nor served

    def test_serve_starts_with_a_safe_secret(self, monkeypatch: pytest.MonkeyPatch, calls: list) -> None:
        monkeypatch.setenv("PAIRWISE_MODE", "production")
        monkeypatch.setenv("PAIRWISE_SECRET_KEY", SAFE_SECRET)
        get_settings.cache_clear()
        result = CliRunner().invoke(cli_module.cli, ["serve", "--port", "8123"])
        assert result.exit_code == 0, result.output
        assert [name for name, _ in calls] == ["upgrade", "run"]
        kwargs = calls[1][1]
        assert isinstance(kwargs, dict)
        assert (kwargs["host"], kwargs["port"], kwargs["factory"]) == ("127.0.0.1", 8123, True)
