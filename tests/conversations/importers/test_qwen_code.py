"""Qwen Code sessions (`~/.qwen/projects/<project>/chats/<session id>.jsonl`): Claude Code's record envelope
(`uuid`, `parentUuid`, `sessionId`, `type`) around a Gemini `Content` (`message.parts`, role `model`, tool
results as `tool_result` entries), read by the `claude-code` importer. The fixture
(tests/fixtures/real_formats/qwen_code/) is written by hand in the shape of Qwen Code's `ChatRecord`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "qwen_code"
(SESSION,) = ROOT.rglob("*.jsonl")


def test_a_session_reads_its_parts_as_turns_with_their_tool_calls() -> None:
    assert detect_format(SESSION.read_bytes(), SESSION.name) == "claude-code"
    conversation = parse_one("claude-code", SESSION.read_bytes(), SESSION.name)
    assert conversation.external_id == "4e1d2c3b-5a69-4f78-8e9d-0a1b2c3d4e5f"
    assert conversation.metadata["version"] == "0.21.1"
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    blocks = conversation.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "tool_result", "text"]
    assert blocks[1]["name"] == "read_file"
    assert blocks[2]["content"] == "df = orders.merge(customers, on='customer_id', how='left')"
    # The thought is a thinking block, not part of the answer's text; the telemetry entry is not a turn.
    assert turns(conversation)[1][1].startswith("A left merge never adds rows")
    assert turns(conversation)[3][1].startswith("You're right: duplicate `customer_id` values")
    (pair,) = [p for p in find_pairs(conversation) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_the_session_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="qwen", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="qwen", workers=0).conversations_added == 0


def test_the_qwen_folder_imports_its_sessions_and_skips_the_rest(engine: Engine, tmp_path: Path) -> None:
    home = tmp_path / ".qwen"
    chats = home / "projects" / "-home-li-src-etl" / "chats"
    chats.mkdir(parents=True)
    (chats / SESSION.name).write_bytes(SESSION.read_bytes())
    (home / "settings.json").write_text('{"model": {"name": "qwen3-coder-plus"}}\n')
    (home / "oauth_creds.json").write_text('{"access_token": "not-a-real-token"}\n')
    (home / "QWEN.md").write_text("# Notes\n")
    summary = run_import(engine, paths=[home], workers=0)
    assert (summary.conversations_added, summary.error_count) == (1, 0)
    assert dict(summary.skipped) == {"Qwen Code settings, credentials or logs, not sessions": 3}
