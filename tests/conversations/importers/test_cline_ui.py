"""Cline's UI log of a task (`ui_messages.json`) uploaded on its own: entries written by hand in the shape of a real
log a repository committed and of the say/ask kinds Cline's webview writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import

from .helpers import parse, parse_one, turns


def _say(say: str, text: str = "", **more: Any) -> dict[str, Any]:
    return {"ts": 1_760_000_000_000, "type": "say", "say": say, "text": text, **more}


def _ask(ask: str, text: str = "") -> dict[str, Any]:
    return {"ts": 1_760_000_000_001, "type": "ask", "ask": ask, "text": text}


LOG = [
    _say("text", "make the tests pass"),
    _say("checkpoint_created"),
    _say("api_req_started", '{"request":"<task>\\nmake the tests pass\\n</task>","tokensIn":10}'),
    _say("reasoning", "Run the suite first."),
    _say("text", "", partial=True),
    _ask("command", "pytest -q"),
    _say("command_output", "1 failed, 9 passed"),
    _say("text", "One test fails on the date format; I fixed the parser."),
    _say("completion_result", "All 10 tests pass now."),
    _ask("completion_result", ""),
    _say("user_feedback", "you changed the test instead of the parser, revert that"),
    _ask("tool", '{"tool":"editedExistingFile","path":"tests/test_dates.py"}'),
    _say("completion_result", "Reverted the test; the parser now reads both formats and all tests pass."),
    _ask("followup", '{"question":"Should I also add a test for the old format?","options":["Yes","No"]}'),
]


def _data(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps(entries).encode()


def test_a_ui_log_alone_reads_as_the_task_the_answers_and_the_persons_feedback() -> None:
    data = _data(LOG)
    assert detect_format(data, "ui_messages.json") == "cline-ui"
    conversation = parse_one("cline-ui", data, "ui_messages.json")
    assert turns(conversation) == [
        ("user", "make the tests pass"),
        ("assistant", "One test fails on the date format; I fixed the parser.\n\nAll 10 tests pass now."),
        ("user", "you changed the test instead of the parser, revert that"),
        (
            "assistant",
            "Reverted the test; the parser now reads both formats and all tests pass.\n\n"
            "Should I also add a test for the old format?\n- Yes\n- No",
        ),
    ]
    blocks = conversation.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "tool_result", "text", "text"]
    assert blocks[1]["input"] == {"command": "pytest -q"}
    assert (conversation.title, conversation.dropped) == ("make the tests pass", {"api_req_started": 1})


def test_a_log_with_only_the_task_is_skipped() -> None:
    conversations, errors = parse("cline-ui", _data(LOG[:3]), "ui_messages.json")
    assert (conversations, errors) == ([], [])


def test_in_a_task_folder_the_api_history_is_read_and_the_ui_log_skipped(
    engine: Engine, tmp_path: Path
) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "ui_messages.json").write_bytes(_data(LOG))
    summary = run_import(engine, paths=[alone])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[alone]).duplicates == 1
    task = tmp_path / "tasks" / "1760000000000"
    task.mkdir(parents=True)
    (task / "ui_messages.json").write_bytes(_data(LOG))
    history = [
        {"role": "user", "content": [{"type": "text", "text": "<task>\nfix the build\n</task>"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Fixed the import path."}]},
    ]
    (task / "api_conversation_history.json").write_bytes(json.dumps(history).encode())
    summary = run_import(engine, paths=[tmp_path / "tasks"])
    assert [report["format"] for report in summary.file_reports if report["format"]] == ["cline"]
