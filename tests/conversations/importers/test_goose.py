"""Block's Goose sessions in its file store (`sessions/<yyyymmdd_hhmmss>.jsonl`): the fixture
(tests/fixtures/real_formats/goose/) is written by hand in the shape of Goose's session storage and `Message`
serialization (a metadata line, camelCase content types, a tool result in a user message, a failed call)."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import errors_of, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "goose"
SESSION = ROOT / "sessions" / "20251101_121320.jsonl"
DATABASE = ROOT / "sessions" / "sessions.db"


def test_a_session_is_one_conversation_with_its_tool_calls() -> None:
    assert detect_format(SESSION.read_bytes(), "x.jsonl") == "goose"
    conversation = parse_one("goose", SESSION.read_bytes(), "sessions/20251101_121320.jsonl")
    assert (conversation.external_id, conversation.title) == ("20251101_121320", "Responsive navbar")
    assert conversation.metadata == {"working_dir": "/Users/omar/site", "message_count": 5}
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    blocks = conversation.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "tool_result", "text"]
    assert blocks[2]["content"] == ".nav { display: flex; }\n.nav a { padding: 0 24px; }"
    assert blocks[2]["is_error"] is False
    assert conversation.dropped == {"image": 1}
    (pair,) = [p for p in find_pairs(conversation) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_a_message_that_cannot_be_read_is_an_error_at_its_line() -> None:
    lines = SESSION.read_bytes().splitlines()
    lines[2] = b'{"id":"x","role":"robot","created":1,"content":[]}'
    results = list(get_importer("goose").parse(io.BytesIO(b"\n".join(lines)), "s.jsonl"))
    assert errors_of([r for r in results if isinstance(r, RecordError)]) == [
        (3, None, 'role: expected "user" or "assistant", got \'robot\'')
    ]


def test_the_database_reads_each_persons_session() -> None:
    assert detect_format(DATABASE.read_bytes()[:65536], "sessions.db") == "goose"
    results = list(get_importer("goose").parse(io.BytesIO(DATABASE.read_bytes()), str(DATABASE)))
    (session,) = [r for r in results if isinstance(r, ParsedConversation)]
    assert (session.external_id, session.title) == ("20251201_1", "Docker image size")
    assert session.metadata == {"working_dir": "/srv/api"}
    blocks = session.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["text", "tool_use", "tool_result", "text"]
    (pair,) = [p for p in find_pairs(session) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    assert sorted(r.reason for r in results if isinstance(r, Skipped)) == [
        "Goose scratch run (goose run --no-session)",
        "Goose sub-agent session (the agent talking to itself)",
    ]


def test_the_sessions_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="goose", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert run_import(engine, paths=[ROOT], source="goose", workers=0).conversations_added == 0
