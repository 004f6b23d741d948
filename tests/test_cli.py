"""The `pairwise` command through typer's CliRunner, against the test database (`engine`)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col
from typer.testing import CliRunner, Result

import app.cli as cli_module
from app import lazy_commands
from app.auth.models import ApiToken, User, WebSession
from app.auth.passwords import verify_password
from app.conversations.importers import FORMATS
from app.conversations.models import Conversation, ImportBatch, Turn
from app.models_base import utcnow
from app.pairs.models import Pair
from app.patterns.models import Pattern, TaxonomyVersion
from app.settings.models import AppSetting

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "fixtures" / "samples"
OPENAI_SAMPLE = SAMPLES / "rendered" / "openai" / "conversations.jsonl"
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _wide_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich draws tables 80 columns wide when not on a terminal; their rows are asserted whole. (Messages on
    stderr are never wrapped: see test_a_long_path_in_an_error_stays_on_one_line.)"""
    monkeypatch.setenv("COLUMNS", "250")


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli_module.cli, list(args), input=input)


def _pairs(engine: Engine) -> list[tuple[int, int, int, float, str, str]]:
    with Session(engine) as session:
        return [
            (p.conversation_id, p.first_turn_id, p.second_turn_id, p.score, p.status, p.detector)
            for p in session.execute(select(Pair).order_by(col(Pair.id))).scalars()
        ]


def _table_rows(output: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("│ ").split("│")] for line in output.splitlines() if "│" in line
    ]


def _id(value: int | None) -> int:
    assert value is not None, "flush before reading an id"
    return value


def _user(engine: Engine, username: str) -> User | None:
    with Session(engine) as session:
        return session.execute(select(User).where(col(User.username) == username)).scalars().first()


class TestImport:
    def test_without_a_progress_bar_the_folders_are_walked_once(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The bar's total needs a walk of every folder before the import; with no terminal (here, or `--json`)
        there is no bar, and only the import walks them."""
        from app.conversations import files, importing

        assert importing.iter_input_files is files.iter_input_files  # bound before the patch below
        walks: list[object] = []
        real = files.iter_input_files

        def counted(*args: Any, **kwargs: Any) -> Any:
            walks.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(files, "iter_input_files", counted)
        result = invoke("import", str(OPENAI_SAMPLE))
        assert result.exit_code == 0, result.output
        assert walks == []  # the import itself walks through its own reference, not this one

    def test_json_summary_shape(self, engine: Engine, tmp_path: Path) -> None:
        path = tmp_path / "mixed.jsonl"
        good = json.dumps(
            {"messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}]}
        )
        path.write_text(good + "\n" + "{broken\n")
        result = invoke("import", "--json", str(path))
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert set(data) == {
            "batch_id",
            "conversations_added",
            "duplicates",
            "pairs_detected",
            "pairs_linked",
            "files",
            "skipped",
            "dropped_parts",
            "error_count",
            "errors",
            "per_file",
            "workers",
        }
        assert data["workers"] == 0  # one small file is read in the importing process
        assert data["per_file"] == [
            {
                "path": str(path),
                "format": "openai",
                "conversations": 1,
                "duplicates": 0,
                "skipped": {},
                "dropped_parts": {},
                "errors": 1,
            }
        ]
        (error,) = data["errors"]
        assert set(error) == {"file", "line", "json_path", "reason"}
        assert (error["file"], error["line"]) == (str(path), 2)
        assert error["reason"].startswith("invalid JSON: ")
        assert (data["conversations_added"], data["duplicates"], data["files"], data["error_count"]) == (
            1,
            0,
            1,
            1,
        )
        with Session(engine) as session:
            batch = session.get(ImportBatch, data["batch_id"])
            assert batch is not None
            assert (batch.status, batch.conversations_added, batch.error_count) == ("succeeded", 1, 1)

    def test_json_reports_json_paths_formats_per_file_and_skipped_files(
        self, engine: Engine, tmp_path: Path
    ) -> None:
        export = tmp_path / "export"
        export.mkdir()
        (export / "conversations.json").write_text(
            json.dumps(
                [
                    {"uuid": "a", "name": "Bad", "chat_messages": [{"sender": "robot", "text": "x"}]},
                    {"uuid": "b", "name": "Empty", "chat_messages": []},
                    {
                        "uuid": "c",
                        "name": "Ok",
                        "chat_messages": [
                            {"sender": "human", "text": "Q"},
                            {"sender": "assistant", "text": "A"},
                        ],
                    },
                ]
            )
        )
        (export / "users.json").write_text("[]")
        (export / "empty.jsonl").write_text("")
        result = invoke("import", "--json", str(export))
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["skipped"] == {
            "ChatGPT/Claude.ai export account data": 1,
            "empty file": 1,
            "empty conversation": 1,
        }
        assert [
            (f["path"].rsplit("/", 1)[-1], f["format"], f["conversations"], f["skipped"], f["errors"])
            for f in data["per_file"]
        ] == [
            ("conversations.json", "claude-ai", 1, {"empty conversation": 1}, 1),
            ("empty.jsonl", None, 0, {"empty file": 1}, 0),
            ("users.json", None, 0, {"ChatGPT/Claude.ai export account data": 1}, 0),
        ]
        (error,) = data["errors"]
        assert (error["line"], error["json_path"]) == (None, "$[0]")
        assert error["reason"] == 'chat_messages[0].sender: expected "human" or "assistant", got "robot"'
        human = invoke("import", str(export))
        assert "skipped (not conversations): " in human.stderr

    def test_second_import_reports_duplicates(self, engine: Engine) -> None:
        assert invoke("import", "--json", str(OPENAI_SAMPLE)).exit_code == 0
        result = invoke("import", "--json", str(OPENAI_SAMPLE))
        data = json.loads(result.stdout)
        assert (data["conversations_added"], data["duplicates"], data["pairs_detected"], data["errors"]) == (
            0,
            24,
            0,
            [],
        )

    def test_human_summary(self, engine: Engine) -> None:
        result = invoke("import", "--source", "team-a", str(OPENAI_SAMPLE))
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        pairs = len(_pairs(engine))
        with Session(engine) as session:
            assert set(session.execute(select(col(Conversation.source))).scalars()) == {"team-a"}
            batch_id = session.execute(select(col(ImportBatch.id))).scalar_one()
        assert result.stderr == (
            f"batch {batch_id}: 1 files, 24 conversations added, 0 duplicates skipped, "
            f"{pairs} pairs detected, 0 records rejected\n"
        )

    def test_missing_path_fails_naming_it(self, engine: Engine, tmp_path: Path) -> None:
        missing = tmp_path / "nope.jsonl"
        result = invoke("import", str(missing))
        assert f"{missing}: no such file or folder" in result.stderr
        assert result.exit_code == 1

    def test_a_long_path_in_an_error_stays_on_one_line(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # stderr is no terminal here (80 columns to rich): a path cut at the width could not be pasted back.
        monkeypatch.delenv("COLUMNS")
        missing = tmp_path / ("a-folder-with-a-long-name-" * 5) / "nope.jsonl"
        result = invoke("import", str(missing))
        assert len(str(missing)) > 120
        assert f"error: {missing}: no such file or folder\n" in result.stderr

    def test_format_override(self, engine: Engine, tmp_path: Path) -> None:
        path = tmp_path / "chat.jsonl"
        path.write_text(json.dumps({"messages": [{"role": "user", "content": "Hi?"}]}) + "\n")
        result = invoke("import", "--json", "--format", "sharegpt", str(path))
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["conversations_added"] == 0
        assert [(e["file"], e["line"]) for e in data["errors"]] == [(str(path), 1)]

    def test_invalid_format(self, engine: Engine) -> None:
        result = invoke("import", "--format", "csv", str(OPENAI_SAMPLE))
        assert result.exit_code == 1
        assert result.stderr == f"error: unknown format 'csv'; choose auto or one of: {', '.join(FORMATS)}\n"
        with Session(engine) as session:
            assert session.execute(select(func.count()).select_from(ImportBatch)).scalar_one() == 0


class TestPairsDetect:
    def test_redetect_never_duplicates_and_keeps_reviewed_pairs(self, engine: Engine) -> None:
        assert invoke("import", "--json", str(OPENAI_SAMPLE)).exit_code == 0
        before = _pairs(engine)
        assert before

        result = invoke("pairs", "detect")
        assert result.exit_code == 0, result.output
        assert result.stderr == (
            "24 conversations scanned: 0 new pairs, 0 rescored, 0 reviewed pairs kept; queue threshold 0.5\n"
        )
        assert _pairs(engine) == before

        with Session(engine) as session:
            first_id = session.execute(select(func.min(Pair.id))).scalar_one()
            session.execute(update(Pair).where(Pair.id == first_id).values(status="accepted", score=0.123))
            session.commit()
        result = invoke("pairs", "detect")
        assert result.exit_code == 0, result.output
        assert "0 new pairs, 0 rescored, 1 reviewed pairs kept" in result.stderr
        after = _pairs(engine)
        assert after[0][3:5] == (0.123, "accepted")
        assert after[1:] == before[1:]

    def test_threshold_is_stored(self, engine: Engine) -> None:
        result = invoke("pairs", "detect", "--threshold", "0.7")
        assert result.exit_code == 0, result.output
        assert result.stderr.endswith("queue threshold 0.7\n")
        with Session(engine) as session:
            setting = session.get(AppSetting, "detection_threshold")
            assert setting is not None
            assert setting.value == 0.7
        # The next run keeps it.
        assert invoke("pairs", "detect").stderr.endswith("queue threshold 0.7\n")

    def test_threshold_out_of_range(self, engine: Engine) -> None:
        result = invoke("pairs", "detect", "--threshold", "1.5")
        assert result.exit_code == 2
        with Session(engine) as session:
            assert session.get(AppSetting, "detection_threshold") is None


@pytest.fixture
def two_pairs(engine: Engine) -> dict[str, Any]:
    """One conversation, two pairs: a strong one (0.9) and a weak one (0.2, below the 0.5 threshold)."""
    texts = [
        ("user", "How do I version my API?"),
        ("assistant", "Use /v1 in the path."),
        ("user", "That's shallow, what are the tradeoffs?"),
        ("assistant", "URI, header and media type versioning compared..."),
        ("user", "Thanks. But how about auth?"),
        ("assistant", "Use OAuth 2."),
    ]
    now = utcnow()
    with Session(engine) as session:
        conversation = Conversation(
            source="team",
            format="openai",
            file="/data/chats.jsonl",
            external_id="c-1",
            title="Versioning",
            system_prompt="You are terse.",
            content_hash="a" * 64,
            turn_count=len(texts),
        )
        session.add(conversation)
        session.flush()
        assert conversation.id is not None
        turns = [
            Turn(conversation_id=conversation.id, index=i, role=r, text=t) for i, (r, t) in enumerate(texts)
        ]
        session.add_all(turns)
        session.flush()
        ids = [_id(turn.id) for turn in turns]
        strong = Pair(
            conversation_id=conversation.id,
            first_turn_id=ids[1],
            pushback_turn_id=ids[2],
            second_turn_id=ids[3],
            prompt_end_index=0,
            detector="heuristic-1",
            score=0.9,
            signals="tradeoffs",
            created_at=now,
            updated_at=now,
        )
        weak = Pair(
            conversation_id=conversation.id,
            first_turn_id=ids[3],
            pushback_turn_id=ids[4],
            second_turn_id=ids[5],
            prompt_end_index=2,
            detector="heuristic-1",
            score=0.2,
            created_at=now,
            updated_at=now,
        )
        session.add_all([strong, weak])
        session.commit()
        return {"conversation_id": conversation.id, "strong": strong.id, "weak": weak.id, "texts": texts}


class TestPairsList:
    def _jsonl(self, *args: str) -> list[dict[str, Any]]:
        result = invoke("pairs", "list", "--format", "jsonl", *args)
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in result.stdout.splitlines()]

    def test_jsonl_fields(self, two_pairs: dict[str, Any]) -> None:
        (row,) = self._jsonl()
        texts = two_pairs["texts"]
        assert {
            key: row[key]
            for key in (
                "id",
                "conversation_id",
                "source",
                "score",
                "status",
                "prompt",
                "rejected",
                "pushback",
                "chosen",
            )
        } == {
            "id": two_pairs["strong"],
            "conversation_id": two_pairs["conversation_id"],
            "source": {"name": "team", "file": "/data/chats.jsonl", "external_id": "c-1"},
            "score": 0.9,
            "status": "candidate",
            "prompt": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": texts[0][1]},
            ],
            "rejected": texts[1][1],
            "pushback": texts[2][1],
            "chosen": texts[3][1],
        }

    def test_all_includes_pairs_below_the_threshold(self, two_pairs: dict[str, Any]) -> None:
        rows = self._jsonl("--all")
        assert [r["id"] for r in rows] == [two_pairs["strong"], two_pairs["weak"]]
        weak = rows[1]
        assert weak["prompt"] == [{"role": "system", "content": "You are terse."}] + [
            {"role": role, "content": text} for role, text in two_pairs["texts"][:3]
        ]
        assert (weak["rejected"], weak["pushback"], weak["chosen"]) == tuple(
            t for _, t in two_pairs["texts"][3:]
        )

    def test_stored_threshold_applies(self, two_pairs: dict[str, Any], engine: Engine) -> None:
        with Session(engine) as session:
            session.add(AppSetting(key="detection_threshold", value=0.1))
            session.commit()
        assert [r["id"] for r in self._jsonl()] == [two_pairs["strong"], two_pairs["weak"]]

    def test_status_filter(self, two_pairs: dict[str, Any], engine: Engine) -> None:
        assert self._jsonl("--status", "accepted") == []
        with Session(engine) as session:
            session.execute(update(Pair).where(Pair.id == two_pairs["weak"]).values(status="accepted"))
            session.commit()
        assert [r["id"] for r in self._jsonl("--status", "accepted", "--all")] == [two_pairs["weak"]]
        assert [r["id"] for r in self._jsonl("--status", "candidate", "--all")] == [two_pairs["strong"]]

    def test_limit(self, two_pairs: dict[str, Any]) -> None:
        assert [r["id"] for r in self._jsonl("--all", "--limit", "1")] == [two_pairs["strong"]]

    def test_invalid_status(self, engine: Engine) -> None:
        result = invoke("pairs", "list", "--status", "bogus")
        assert result.exit_code == 1
        assert result.stderr == (
            "error: unknown status 'bogus'; choose one of: candidate, accepted, tie, not_a_pair, conflict, linked\n"
        )

    def test_invalid_output_format(self, engine: Engine) -> None:
        result = invoke("pairs", "list", "--format", "csv")
        assert result.exit_code == 1
        assert result.stderr == "error: unknown format 'csv'; choose table or jsonl\n"

    def test_table(self, two_pairs: dict[str, Any]) -> None:
        result = invoke("pairs", "list")
        assert result.exit_code == 0, result.output
        assert "That's shallow, what are the tradeoffs?" in result.stdout
        assert "0.90" in result.stdout
        assert "Thanks. But how about auth?" not in result.stdout


class TestUsers:
    def test_add_list_disable_and_set_password(self, engine: Engine) -> None:
        result = invoke("users", "add", "alice", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
        assert result.stderr == "created admin alice\n"
        alice = _user(engine, "alice")
        assert alice is not None
        assert (alice.role, alice.is_active) == ("admin", True)
        assert verify_password(alice.password_hash, PASSWORD)
        assert PASSWORD not in alice.password_hash

        assert invoke("users", "add", "bob", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
        listing = invoke("users", "list")
        assert listing.exit_code == 0, listing.output
        assert [row[:3] for row in _table_rows(listing.stdout)] == [
            ["alice", "admin", "yes"],
            ["bob", "reviewer", "yes"],
        ]

        with Session(engine) as session:
            session.add(WebSession(id="s1", user_id=_id(alice.id), csrf_token="t", expires_at=utcnow()))
            session.commit()
        result = invoke("users", "disable", "alice")
        assert result.exit_code == 0, result.output
        assert result.stderr == "alice: disabled\n"
        disabled = _user(engine, "alice")
        assert disabled is not None
        assert disabled.is_active is False
        with Session(engine) as session:
            assert session.execute(select(func.count()).select_from(WebSession)).scalar_one() == 0
        listing = invoke("users", "list")
        assert [row[:3] for row in _table_rows(listing.stdout)] == [
            ["alice", "admin", "no"],
            ["bob", "reviewer", "yes"],
        ]

        result = invoke("users", "set-password", "alice", "--password-stdin", input="another-long-password\n")
        assert result.exit_code == 0, result.output
        assert result.stderr == "alice: password changed\n"
        changed = _user(engine, "alice")
        assert changed is not None
        assert verify_password(changed.password_hash, "another-long-password")
        assert not verify_password(changed.password_hash, PASSWORD)

    def test_duplicate_user(self, engine: Engine) -> None:
        assert invoke("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
        result = invoke("users", "add", "alice", "--password-stdin", input="other-password-123\n")
        assert result.exit_code == 1
        assert result.stderr == "error: user 'alice' already exists\n"
        alice = _user(engine, "alice")
        assert alice is not None
        assert verify_password(alice.password_hash, PASSWORD)

    def test_short_password(self, engine: Engine) -> None:
        result = invoke("users", "add", "alice", "--password-stdin", input="short\n")
        assert result.exit_code == 1
        assert result.stderr == "error: password must be at least 10 characters\n"
        assert _user(engine, "alice") is None

    def test_short_new_password(self, engine: Engine) -> None:
        assert invoke("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
        result = invoke("users", "set-password", "alice", "--password-stdin", input="short\n")
        assert result.exit_code == 1
        assert result.stderr == "error: password must be at least 10 characters\n"
        alice = _user(engine, "alice")
        assert alice is not None
        assert verify_password(alice.password_hash, PASSWORD)

    def test_empty_stdin(self, engine: Engine) -> None:
        result = invoke("users", "add", "alice", "--password-stdin", input="")
        assert result.exit_code == 2
        assert "no password on stdin" in result.stderr
        assert _user(engine, "alice") is None

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["add", "x", "--password-stdin"], "error: username must be 2-64 characters"),
            (
                ["add", "carol", "--role", "owner", "--password-stdin"],
                "error: role must be one of: admin, reviewer",
            ),
        ],
    )
    def test_invalid_username_or_role(self, engine: Engine, args: list[str], message: str) -> None:
        result = invoke("users", *args, input=PASSWORD + "\n")
        assert result.exit_code == 1
        assert result.stderr.startswith(message)

    @pytest.mark.parametrize("command", [["disable", "ghost"], ["enable", "ghost"]])
    def test_unknown_user(self, engine: Engine, command: list[str]) -> None:
        result = invoke("users", *command)
        assert result.exit_code == 1
        assert result.stderr == "error: no user named 'ghost'\n"


class TestUsersToken:
    """`pairwise users token NAME [--label TEXT] [--json]` (issue 10's interface): printed once, works on the API."""

    def _token_works(self, token: str) -> int:
        from starlette.testclient import TestClient

        from app.main import create_app

        api = TestClient(create_app())
        return api.get("/api/v1/pairs", headers={"Authorization": f"Bearer {token}"}).status_code

    def test_json_prints_token_and_user(self, engine: Engine) -> None:
        assert invoke("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
        result = invoke("users", "token", "alice", "--label", "nightly", "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert set(data) == {"token", "user"}
        assert data["user"] == "alice"
        assert data["token"].startswith("pw_")
        assert self._token_works(data["token"]) == 200
        with Session(engine) as session:
            (token,) = session.execute(select(ApiToken)).scalars()
        assert token.name == "nightly"
        assert data["token"] not in repr(token.model_dump())

    def test_plain_prints_only_the_token_on_stdout(self, engine: Engine) -> None:
        assert invoke("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
        result = invoke("users", "token", "alice")
        assert result.exit_code == 0, result.output
        assert result.stdout.count("\n") == 1
        assert result.stdout.startswith("pw_")
        assert "shown only this once" in result.stderr

    def test_unknown_user(self, engine: Engine) -> None:
        result = invoke("users", "token", "ghost", "--json")
        assert result.exit_code == 1
        assert result.stderr == "error: no user named 'ghost'\n"
        assert result.stdout == ""

    def test_disabled_user_gets_no_token(self, engine: Engine) -> None:
        assert invoke("users", "add", "alice", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
        assert invoke("users", "disable", "alice").exit_code == 0
        result = invoke("users", "token", "alice")
        assert result.exit_code == 1
        assert result.stderr == "error: user 'alice' is disabled\n"


class TestOtherCommands:
    @pytest.mark.parametrize("mode", ["test", "production"])
    def test_demo_refuses_outside_demo_mode(
        self, engine: Engine, monkeypatch: pytest.MonkeyPatch, mode: str
    ) -> None:
        from app.config import get_settings

        monkeypatch.setenv("PAIRWISE_MODE", mode)
        get_settings.cache_clear()
        result = invoke("demo")
        assert result.exit_code == 1
        assert result.stderr == (
            "error: demo data is only loaded in demo mode: run with PAIRWISE_MODE=demo (make run does)\n"
        )
        with Session(engine) as session:
            assert session.execute(select(func.count()).select_from(User)).scalar_one() == 0

    def test_db_upgrade(self, engine: Engine) -> None:
        result = invoke("db", "upgrade")
        assert result.exit_code == 0, result.output
        assert result.stderr.startswith("database at head: ")
        # First run in every mode seeds the default ten patterns, once.
        assert invoke("db", "upgrade").exit_code == 0
        with Session(engine) as session:
            assert session.execute(select(func.count()).select_from(Pattern)).scalar_one() == 10
            assert session.execute(select(func.count()).select_from(TaxonomyVersion)).scalar_one() == 1

    def test_no_arguments_shows_help(self) -> None:
        result = invoke()
        assert result.exit_code == 2
        for command in ("serve", "import", "pairs", "users", "db", "demo"):
            assert command in result.output


class TestStartUp:
    """Commands of other packages are imported only to run; `pairwise --help` lists them all the same."""

    @pytest.mark.parametrize("name", sorted(lazy_commands.LAZY))
    def test_a_lazy_command_is_listed_with_its_own_help(self, name: str) -> None:
        loaded = lazy_commands.load_command(name)
        assert (loaded.help or "").split("\n\n")[0].strip() == lazy_commands.LAZY[name][2]
        listing = invoke("--help").output
        assert name in listing

    def test_a_lazy_group_runs_its_commands(self, engine: Engine) -> None:
        assert "set-password" in invoke("users", "--help").output
        result = invoke(
            "users", "add", "lazy", "--role", "reviewer", "--password-stdin", input=PASSWORD + "\n"
        )
        assert result.exit_code == 0, result.output
        assert "lazy" in invoke("users", "list").output
        assert invoke("runs", "no-such-command").exit_code == 2

    def test_importing_the_cli_loads_no_web_framework_no_database_no_export_stack_and_no_reader(self) -> None:
        # The readers (75 modules, about 70 ms) load at the first file read, not for `--help`.
        heavy = (
            "fastapi",
            "sqlalchemy",
            "pyarrow",
            "openai",
            "app.db",
            "app.models",
            "app.conversations.importers.claude_code",
            "app.conversations.importers.markdown",
        )
        code = f"import sys, app.cli; print([m for m in {heavy!r} if m in sys.modules])"
        output = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
        assert output.strip() == "[]"

    def test_a_command_closes_its_database_before_the_interpreter_ends(self, tmp_path: Path) -> None:
        """The command's objects are frozen before the interpreter's last collection (it walked them all for
        nothing), so that collection no longer closes the connections: the command closes them itself, and a
        SQLite database is left whole in its one file, without a write-ahead log beside it."""
        database = tmp_path / "pairwise.db"
        env = {
            **os.environ,
            "PAIRWISE_DATA_DIR": str(tmp_path),
            "PAIRWISE_DATABASE_URL": f"sqlite:///{database}",
        }
        subprocess.run(
            [sys.executable, "-m", "app", "import", str(OPENAI_SAMPLE)],
            capture_output=True, text=True, check=True, cwd=ROOT, env=env,
        )  # fmt: skip
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("pairwise.db")) == [
            "pairwise.db"
        ]
        with sqlite3.connect(database) as connection:
            assert connection.execute("SELECT count(*) FROM conversation").fetchone()[0] > 0
