"""Chat apps that keep their chats in an SQLite database: Ollama's desktop app (`db.sqlite`), Charm's Crush
(`.crush/crush.db`) and Cursor (`globalStorage/state.vscdb`). The fixtures (tests/fixtures/real_formats/sqlite_apps/) are built by hand with the tables of
their schemas (Ollama's with a column a later version added; Crush's with a sub-agent session)."""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.files import NotConversation, iter_input_files, not_conversation_reason
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "sqlite_apps"
OLLAMA = ROOT / "ollama" / "db.sqlite"
CRUSH = ROOT / ".crush" / "crush.db"
CURSOR = ROOT / "cursor" / "state.vscdb"


def _results(path: Path, fmt: str) -> list[object]:
    return list(get_importer(fmt).parse(io.BytesIO(path.read_bytes()), str(path)))


def _pair(conversation: ParsedConversation) -> tuple[int, int | None, int]:
    (pair,) = [p for p in find_pairs(conversation) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    return pair.rejected, pair.pushback, pair.chosen


def test_the_databases_are_detected_by_their_schema() -> None:
    assert detect_format(OLLAMA.read_bytes()[:65536], "db.sqlite") == "ollama-app"
    assert detect_format(CRUSH.read_bytes()[:65536], "crush.db") == "crush"


def test_ollama_chats_are_read_with_thinking_and_tool_calls() -> None:
    results = _results(OLLAMA, "ollama-app")
    (weather,) = [r for r in results if isinstance(r, ParsedConversation)]
    assert (weather.external_id, weather.title) == ("c-weather", "Weather in Lisbon")
    assert weather.metadata == {"models": ["qwen3:8b"], "created_at": "2025-12-01 10:00:00.000+00:00"}
    blocks = weather.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "text", "tool_use", "tool_result"]
    assert blocks[2]["input"] == {"query": "Lisbon weather tomorrow"}
    assert turns(weather)[3][1].endswith("a high of 24 °C.")
    assert _pair(weather) == (1, 2, 3)
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Ollama app chat without a prompt and an answer"
    ]


def test_crush_sessions_are_read_and_sub_agents_skipped() -> None:
    results = _results(CRUSH, "crush")
    (main,) = [r for r in results if isinstance(r, ParsedConversation)]
    assert (main.external_id, main.title) == ("s-main", "Speed up the test suite")
    assert main.dropped == {"image": 1}
    blocks = main.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "tool_result", "text"]
    assert blocks[1]["input"] == {"file_path": "pytest.ini"}
    assert _pair(main) == (1, 2, 3)
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Crush sub-agent session (the agent talking to itself)"
    ]


def test_cursor_chats_are_read_in_their_headers_order() -> None:
    assert detect_format(CURSOR.read_bytes()[:65536], "state.vscdb") == "cursor"
    results = _results(CURSOR, "cursor")
    chat, old = [r for r in results if isinstance(r, ParsedConversation)]
    assert (chat.external_id, chat.title) == (
        "3f1e9a2b-7c4d-4e5f-8a9b-0c1d2e3f4a5b",
        "Double submit on Enter",
    )
    assert chat.metadata == {"createdAt": 1765300000000, "lastUpdatedAt": 1765300300000}
    blocks = chat.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "tool_result", "text"]
    assert blocks[1]["input"] == {"target_file": "src/Login.tsx"}
    assert _pair(chat) == (1, 2, 3)
    # An older chat keeps its messages inline; an empty tab is no conversation.
    assert turns(old)[0] == ("user", "What does `git rebase -i HEAD~3` do?")
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Cursor chat without a prompt and an answer"
    ]


def test_a_write_ahead_log_beside_the_database_is_read_with_it(tmp_path: Path) -> None:
    """The app still open (or closed without a checkpoint): the newest messages are in `db.sqlite-wal`."""
    live = tmp_path / "db.sqlite"
    shutil.copy(OLLAMA, live)
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(
        "INSERT INTO messages (chat_id, role, content) VALUES ('c-empty', 'assistant', 'Hello! How can I help?')"
    )
    writer.commit()
    assert (tmp_path / "db.sqlite-wal").stat().st_size > 0
    results = list(get_importer("ollama-app").parse(io.BytesIO(live.read_bytes()), str(live)))
    assert len([r for r in results if isinstance(r, ParsedConversation)]) == 2
    skipped = [i.reason for i in iter_input_files([tmp_path]) if isinstance(i, NotConversation)]
    writer.close()
    assert skipped == ["SQLite write-ahead log, shared memory or journal (read with its database)"] * 2


def test_a_database_without_the_tables_is_one_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE chats (id TEXT)")
    with pytest.raises(FileFormatError, match="expected Ollama's chats and messages tables"):
        _results(other, "ollama-app")


def test_text_that_is_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "db.sqlite"
    shutil.copy(OLLAMA, broken)
    with sqlite3.connect(broken) as connection:
        connection.execute("UPDATE messages SET content = CAST(X'48E9' AS TEXT) WHERE id = 1")
    with pytest.raises(FileFormatError, match="cannot be read: Could not decode to UTF-8 column 'content'"):
        _results(broken, "ollama-app")


def test_the_databases_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="apps", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (4, 3, 0)
    assert run_import(engine, paths=[ROOT], source="apps", workers=0).conversations_added == 0


def test_what_sits_beside_the_databases_is_skipped_by_name() -> None:
    assert not_conversation_reason("proj/.crush/logs/crush.log", 10) == "Crush settings or logs, not sessions"
    assert not_conversation_reason("proj/.crush/crush.db", 10) is None
    sidecar = "SQLite write-ahead log, shared memory or journal (read with its database)"
    assert not_conversation_reason("Ollama/db.sqlite-wal", 10) == sidecar
    assert not_conversation_reason("proj/.crush/crush.db-journal", 10) == sidecar
    # A name that only ends like one is not.
    assert not_conversation_reason("notes/trip-journal", 10) is None
