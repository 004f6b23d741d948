"""Void's chats in its application storage: the fixture (tests/fixtures/real_formats/void/) is built by hand with
VS Code's ItemTable and Void's thread types: a thread with checkpoints, a selected file, reasoning, tool calls that
succeeded, failed and were rejected, an interrupted tool call, a correction, and the empty thread Void always opens;
other keys of the editor beside it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "void"
STORE = ROOT / "User" / "globalStorage" / "state.vscdb"


def _parse(path: Path) -> list[object]:
    with path.open("rb") as stream:
        return list(get_importer("void").parse(stream, str(path)))


def test_a_thread_is_read_with_its_tools_and_reasoning() -> None:
    assert detect_format(STORE.read_bytes()[:65536], "state.vscdb") == "void"
    chat, empty = _parse(STORE)
    assert empty == Skipped("Void chat without a prompt and an answer")
    assert isinstance(chat, ParsedConversation)
    assert chat.external_id == "a1b2c3d4-0000-4000-8000-000000000001"
    assert chat.json_path == '$["void.chatThreadStorageII"]["a1b2c3d4-0000-4000-8000-000000000001"]'
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant"]
    assert (
        chat.turns[0].text == "Why does my Express server crash with EADDRINUSE on restart?"
    )  # what was typed
    assert [b["type"] for b in chat.turns[1].blocks or []] == [
        "thinking",
        "text",
        "tool_use",
        "tool_result",
        "text",
    ]
    revision = chat.turns[3].blocks or []
    assert [(b["type"], b.get("is_error")) for b in revision] == [
        ("tool_use", None), ("tool_result", True), ("text", None), ("tool_use", None), ("tool_result", True),
    ]  # fmt: skip
    assert chat.dropped == {"selection": 1, "interrupted tool call": 1}
    assert chat.metadata == {
        "createdAt": "2025-04-02T08:00:00.000Z",
        "lastModified": "2025-04-02T08:05:00.000Z",
    }
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_the_earlier_key_reads_the_same_and_a_store_without_chats_says_so(tmp_path: Path) -> None:
    earlier = tmp_path / "state.vscdb"
    earlier.write_bytes(STORE.read_bytes())
    with sqlite3.connect(earlier) as connection:
        connection.execute(
            "UPDATE ItemTable SET key = 'void.chatThreadStorageI' WHERE key = 'void.chatThreadStorageII'"
        )
    assert len([r for r in _parse(earlier) if isinstance(r, ParsedConversation)]) == 1
    with sqlite3.connect(earlier) as connection:
        connection.execute("DELETE FROM ItemTable WHERE key LIKE 'void.chatThread%'")
    with pytest.raises(FileFormatError, match="no Void chats in this database"):
        _parse(earlier)


def test_damaged_threads_are_named(tmp_path: Path) -> None:
    damaged = tmp_path / "state.vscdb"
    damaged.write_bytes(STORE.read_bytes())
    with sqlite3.connect(damaged) as connection:
        connection.execute(
            'UPDATE ItemTable SET value = \'{"t1": [], "t2": {"messages": [{"role": "robot"}]}}\' WHERE key = \'void.chatThreadStorageII\''
        )
    assert [(r.reason, r.json_path) for r in _parse(damaged) if isinstance(r, RecordError)] == [
        ("expected a thread object, got a list", '$["void.chatThreadStorageII"]["t1"]'),
        (
            'messages[0].role: expected "user", "assistant", "tool" or "checkpoint", got "robot"',
            '$["void.chatThreadStorageII"]["t2"]',
        ),
    ]


def test_the_store_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="void", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="void", workers=0).conversations_added == 0
