"""OpenCode sessions: `opencode export` JSON and the JSON storage folder (session, message and part files). The
fixtures (tests/fixtures/real_formats/opencode/) are written by hand in the shapes of OpenCode's `export` command
and its `message-v2` schema: typed and synthetic text, an attached file, reasoning, a completed and a failed tool
call, step markers."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.files import not_conversation_reason
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "opencode"
(EXPORT,) = (ROOT / "export").glob("*.json")
(SESSION,) = (ROOT / "storage" / "session").rglob("*.json")
DATABASE = ROOT / "opencode.db"


def _check(conversation: ParsedConversation) -> None:
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    # OpenCode's own (synthetic) text is not the person's; the attached file is counted as dropped.
    assert turns(conversation)[0] == ("user", "test_parse_date fails on CI but passes locally, why?")
    assert conversation.dropped == {"file": 1}
    blocks = conversation.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "tool_result", "text"]
    assert blocks[1]["input"] == {"filePath": "tests/test_dates.py"}
    failed = (conversation.turns[3].blocks or [])[1]
    assert (failed["type"], failed["content"], failed["is_error"]) == ("tool_result", "Exit code 1", True)
    assert conversation.metadata == {
        "directory": "/home/ines/work/api",
        "version": "0.9.11",
        "models": "gpt-5-codex",
    }
    (pair,) = [p for p in find_pairs(conversation) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_an_export_is_read_with_its_parts() -> None:
    assert detect_format(EXPORT.read_bytes(), "session.json") == "opencode"
    conversation = parse_one("opencode", EXPORT.read_bytes(), EXPORT.name)
    assert (conversation.external_id, conversation.title) == (
        "ses_5a1b2c3d4ffeA1b2C3d4E5f6G7",
        "Fix flaky date test",
    )
    _check(conversation)


def test_a_storage_session_reads_its_messages_and_parts_from_the_folders_beside_it() -> None:
    assert detect_format(SESSION.read_bytes(), SESSION.name) == "opencode"
    conversation = parse_one("opencode", SESSION.read_bytes(), str(SESSION))
    assert conversation.title == "Fix flaky date test (storage)"
    _check(conversation)


def test_the_database_reads_each_session_with_its_parts() -> None:
    assert detect_format(DATABASE.read_bytes()[:65536], "opencode.db") == "opencode"
    results = list(get_importer("opencode").parse(io.BytesIO(DATABASE.read_bytes()), str(DATABASE)))
    (conversation,) = [r for r in results if isinstance(r, ParsedConversation)]
    assert conversation.title == "Fix flaky date test (database)"
    _check(conversation)
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "OpenCode sub-agent session (the agent talking to itself)"
    ]


def test_a_storage_session_without_its_folders_says_how_to_import_it(tmp_path: Path) -> None:
    alone = tmp_path / SESSION.name
    shutil.copy(SESSION, alone)
    archive = tmp_path / "storage.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(SESSION, "storage/session/p/" + SESSION.name)
    for data, name, reason in (
        (alone.read_bytes(), str(alone), "without the storage folder around it"),
        (SESSION.read_bytes(), f"{archive}!storage/session/p/{SESSION.name}", "inside an archive"),
    ):
        with pytest.raises(FileFormatError, match=reason):
            list(get_importer("opencode").parse(io.BytesIO(data), name))


def test_a_session_id_cannot_lead_the_reader_out_of_the_storage(tmp_path: Path) -> None:
    storage = tmp_path / "storage"
    shutil.copytree(ROOT / "storage", storage)
    (session,) = (storage / "session").rglob("*.json")
    secret = tmp_path / "secret"
    (secret / "message").mkdir(parents=True)
    info = json.loads(session.read_bytes())
    info["id"] = "ses_/../../secret/message"
    session.write_text(json.dumps(info))
    (error,) = get_importer("opencode").parse(io.BytesIO(session.read_bytes()), str(session))
    assert isinstance(error, RecordError)
    assert error.reason == "id: not an OpenCode session id: 'ses_/../../secret/message'"


def test_the_storage_folders_beside_the_sessions_are_skipped_by_name() -> None:
    assert not_conversation_reason("x/storage/session_diff/ses_a.json", 10) == (
        "OpenCode storage diffs, todos or shares, not conversations"
    )
    assert not_conversation_reason("x/storage/todo/ses_a.json", 10) is not None
    assert not_conversation_reason("x/storage/session/prj/ses_a.json", 10) is None


def test_the_folder_imports_once_with_the_storage_files_skipped(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="opencode", workers=0)
    # The exported session, the one in storage and the one in the database hold the same talk: stored once.
    assert (summary.conversations_added, summary.duplicates, summary.error_count) == (1, 2, 0)
    assert dict(summary.skipped) == {
        "OpenCode storage message, part or project file (read with its session)": 16,
        "OpenCode sub-agent session (the agent talking to itself)": 1,
    }
    assert run_import(engine, paths=[ROOT], source="opencode", workers=0).conversations_added == 0


def test_a_last_answer_aborted_after_its_preamble_is_left_out_with_its_prompt() -> None:
    export = json.loads(EXPORT.read_bytes())
    session = export["info"]["id"]
    prompt = {
        "info": {"id": "msg_z1", "sessionID": session, "role": "user", "time": {"created": 1761300100000}},
        "parts": [{"id": "prt_z1", "type": "text", "text": "now write the changelog entry"}],
    }
    started = {
        "info": {
            "id": "msg_z2",
            "sessionID": session,
            "role": "assistant",
            "parentID": "msg_z1",
            "finish": "tool-calls",
        },
        "parts": [
            {"id": "prt_z2", "type": "text", "text": "Let me read the last release's notes first."},
            {
                "id": "prt_z3",
                "type": "tool",
                "callID": "call_z",
                "tool": "read",
                "state": {"status": "running"},
            },
        ],
    }
    aborted = {
        "info": {
            "id": "msg_z3",
            "sessionID": session,
            "role": "assistant",
            "parentID": "msg_z1",
            "error": {"name": "MessageAbortedError", "data": {"message": "The operation was aborted."}},
        },
        "parts": [{"id": "prt_z4", "type": "step-start"}],
    }
    export["messages"] += [prompt, started, aborted]
    conversation = parse_one("opencode", json.dumps(export).encode(), EXPORT.name)
    assert len(conversation.turns) == 4
    assert conversation.dropped == {"file": 1, "unfinished answer": 1}
