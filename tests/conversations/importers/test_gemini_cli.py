"""Gemini CLI chat recordings: the older whole-object `.json` and the newer `.jsonl` with its `$set` and
`$rewindTo` lines.

The fixtures (tests/fixtures/real_formats/gemini_cli/) are written by hand in the shapes gemini-cli's
ChatRecordingService writes (`packages/core/src/services/chatRecordingService.ts` and its record types).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "gemini_cli"
LEGACY = next(ROOT.rglob("session-*.json"))
LINES = next(ROOT.rglob("session-*.jsonl"))


def test_both_recordings_are_detected_by_content() -> None:
    for path in (LEGACY, LINES):
        assert detect_format(path.read_bytes()[:65536], "session.json") == "gemini-cli"


def test_a_long_first_message_is_still_detected() -> None:
    recording = json.loads(LEGACY.read_bytes())
    recording["messages"][0]["content"] = "word " * 20_000
    head = json.dumps(recording, indent=2).encode()
    assert len(head) > 65536
    assert detect_format(head[:65536], "session.json") == "gemini-cli"


def test_a_recording_is_its_prompts_and_answers_without_commands_or_notices() -> None:
    conversation = parse_one("gemini-cli", LEGACY.read_bytes(), LEGACY.name)
    assert turns(conversation) == [
        ("user", "Why does @src/cache.py leak memory?"),
        (
            "assistant",
            "The cache is a plain dict that is never emptied, so it grows with every new key. Clear it now and "
            "then with `_cache.clear()`.",
        ),
        ("user", "Clearing everything throws away hot entries too. Bound it instead."),
        (
            "assistant",
            "Use `functools.lru_cache(maxsize=1024)` on the loader: the least recently used entries go first, so "
            "memory stays bounded and hot keys stay cached.",
        ),
    ]
    assert conversation.external_id == "8c1e4b7a-3f2d-4e6a-9b0c-5d7e1f2a3b4c"
    assert conversation.title == "Bounding the memory of a dict cache"
    assert conversation.metadata == {"models": ["gemini-2.5-pro"]}


def test_referenced_files_are_context_and_thoughts_and_tools_are_blocks() -> None:
    conversation = parse_one("gemini-cli", LEGACY.read_bytes(), LEGACY.name)
    (context,) = conversation.turns[0].blocks or []
    assert context["tag"] == "referenced_files"
    assert context["text"].startswith("--- Content from referenced files ---\nContent from @src/cache.py:")
    thinking, _, call, result = conversation.turns[1].blocks or []
    assert thinking == {"type": "thinking", "thinking": "Inspecting the cache\nThe dict has no bound."}
    assert (call["name"], call["input"]) == ("read_file", {"absolute_path": "/home/dev/app/src/cache.py"})
    assert (result["tool_use_id"], result["is_error"]) == ("read_file-1759395610-1", False)
    assert result["content"].startswith("_cache = {}")


def test_the_newer_lines_keep_the_last_copy_rewind_and_set() -> None:
    conversation = parse_one("gemini-cli", LINES.read_bytes(), LINES.name)
    assert turns(conversation) == [
        ("user", "Add a test for parse_date."),
        ("assistant", "I added `test_parse_date_accepts_iso` to tests/test_dates.py."),
        ("user", "The test must also cover an impossible date like 2025-02-30."),
        (
            "assistant",
            "Added `test_parse_date_rejects_impossible_dates`, which checks that 2025-02-30 returns None, next to "
            "the ISO test.",
        ),
    ]
    assert conversation.title == "A test for parse_date"
    blocks = conversation.turns[1].blocks or []
    assert blocks[0] == {"type": "thinking", "thinking": "Running the tests"}
    assert blocks[2] == {
        "type": "tool_result",
        "tool_use_id": "run_shell_command-1",
        "content": "Command exited with code 1: no tests ran",
        "is_error": True,
    }
    # The session context the CLI adds is context of the first prompt.
    assert [b["tag"] for b in conversation.turns[0].blocks or []] == ["gemini_context"]


def test_bad_lines_are_named_and_a_subagent_is_skipped() -> None:
    lines = LINES.read_bytes().splitlines(keepends=True)
    broken = [*lines[:2], b'{"$rewindTo": 5}\n', b'{"$set": []}\n', *lines[2:]]
    conversations, errors = parse("gemini-cli", b"".join(broken), LINES.name)
    assert len(conversations) == 1
    assert errors_of(errors) == [
        (3, None, "$rewindTo: expected a message id, got a number"),
        (4, None, "$set: expected an object, got a list"),
    ]
    subagent = {"sessionId": "s", "projectHash": "p", "kind": "subagent"}
    results = list(get_importer("gemini-cli").parse(io.BytesIO(jsonl(subagent)), "session.jsonl"))
    assert results == [Skipped("Gemini CLI subagent session")]


def test_a_gemini_folder_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert {report["format"] for report in summary.file_reports} == {"gemini-cli"}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_the_gemini_folder_imports_its_recordings_and_skips_the_rest(engine: Engine, tmp_path: Path) -> None:
    chats = tmp_path / ".gemini" / "tmp" / "4f2a9c1e" / "chats"
    chats.mkdir(parents=True)
    (chats / LEGACY.name).write_bytes(LEGACY.read_bytes())
    (chats.parent / "logs.json").write_text('[{"sessionId":"s","messageId":0,"type":"user","message":"hi"}]')
    (chats.parent / "checkpoint-before-refactor.json").write_text('{"history": []}')
    (tmp_path / ".gemini" / "settings.json").write_text('{"theme": "Default"}')
    (tmp_path / ".gemini" / "oauth_creds.json").write_text('{"access_token": "not-a-real-token"}')
    summary = run_import(engine, paths=[tmp_path / ".gemini"])
    assert (summary.conversations_added, summary.error_count, summary.errors) == (1, 0, [])
    assert dict(summary.skipped) == {"Gemini CLI settings, logs or checkpoints, not chat recordings": 4}
