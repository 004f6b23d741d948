"""Continue.dev chat sessions (`~/.continue/sessions/<sessionId>.json`) and the index beside them.

The fixtures (tests/fixtures/real_formats/continue_dev/sessions/) are written by hand in the shapes Continue's
`core/util/history.ts` saves (`Session`, `ChatHistoryItem`, `ChatMessage` in `core/index.d.ts`).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.files import not_conversation_reason
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "continue_dev"
SESSIONS = ROOT / "sessions"
EDIT = SESSIONS / "0b8f5a52-3c1e-4d7a-9f43-6e2d9b1c7a10.json"
ESM = SESSIONS / "a41c6a0e-2f9b-4e55-8d6c-1f0e9b7d3c22.json"


def test_sessions_are_detected_by_content() -> None:
    for path in (EDIT, ESM):
        assert detect_format(path.read_bytes()[:65536], path.name) == "continue"


def test_a_long_first_message_is_still_detected() -> None:
    session = json.loads(EDIT.read_bytes())
    session["history"][0]["contextItems"][0]["content"] = "line\n" * 20_000
    head = json.dumps(session, indent=2).encode()
    assert len(head) > 65536
    assert detect_format(head[:65536], "session.json") == "continue"


def test_other_formats_are_not_taken_for_a_session() -> None:
    # A Gemini CLI recording also has a sessionId, but messages instead of a history.
    gemini = {"sessionId": "s", "projectHash": "p", "messages": []}
    assert detect_format(json.dumps(gemini).encode(), "session.json") == "gemini-cli"
    # The index is a list of sessions, not a session: nothing claims it (it is skipped by its path).
    assert detect_format(SESSIONS.joinpath("sessions.json").read_bytes(), "sessions.json") is None


def test_a_session_is_its_prompts_and_answers_with_the_tool_loop_in_one_turn() -> None:
    conversation = parse_one("continue", EDIT.read_bytes(), EDIT.name)
    assert turns(conversation) == [
        ("user", "@paginate.ts why is the last page always empty?"),
        (
            "assistant",
            "The slice is correct for 0-based pages. The last page is empty because the caller passes "
            "`page === totalPages`; loop `for (let p = 0; p < totalPages; p++)`.",
        ),
        ("user", "That's wrong, our pages are 1-based. Fix the file."),
        (
            "assistant",
            "You're right — for 1-based pages the start index is (page - 1) * size. I'll update the file.\n\n"
            "Done: `paginate` now slices `items.slice((page - 1) * size, page * size)`.",
        ),
    ]
    assert conversation.external_id == "0b8f5a52-3c1e-4d7a-9f43-6e2d9b1c7a10"
    assert conversation.title == "Fix paginate last page"
    assert conversation.metadata == {
        "workspaceDirectory": "file:///home/dev/proj",
        "models": ["Claude Sonnet 4.5"],
    }


def test_context_items_reasoning_and_tools_are_blocks() -> None:
    conversation = parse_one("continue", EDIT.read_bytes(), EDIT.name)
    (context,) = conversation.turns[0].blocks or []
    assert (context["type"], context["tag"], context["name"]) == ("context", "file", "paginate.ts")
    assert context["text"].startswith("```src/paginate.ts\nexport function paginate")
    assert (conversation.turns[1].blocks or [])[0] == {
        "type": "thinking",
        "thinking": "0-based slice looks fine; probably the caller.",
    }
    _, call, result, _ = conversation.turns[3].blocks or []
    assert (call["id"], call["name"], call["input"]["filepath"]) == (
        "toolu_01XyZ",
        "edit_existing_file",
        "src/paginate.ts",
    )
    assert result == {
        "type": "tool_result",
        "tool_use_id": "toolu_01XyZ",
        "content": "File src/paginate.ts was edited successfully.",
        "is_error": False,
    }


def test_a_tool_message_of_a_failed_call_is_an_error() -> None:
    session = json.loads(EDIT.read_bytes())
    session["history"][3]["toolCallStates"][0]["status"] = "errored"
    conversation = parse_one("continue", json.dumps(session, indent=2).encode(), EDIT.name)
    result = (conversation.turns[3].blocks or [])[2]
    assert (result["type"], result["is_error"]) == ("tool_result", True)


def test_thinking_messages_system_images_and_failed_calls() -> None:
    conversation = parse_one("continue", ESM.read_bytes(), ESM.name)
    assert conversation.system_prompt == "You are a helpful coding assistant. Answer briefly."
    # The placeholder title gives way to the first prompt.
    assert conversation.title == "Why does `npm test` fail with ERR_REQUIRE_ESM? Screenshot attached."
    assert conversation.dropped == {"image": 1}
    assert [block["tag"] for block in conversation.turns[0].blocks or []] == ["terminal"]
    thinking, text, call, result = conversation.turns[1].blocks or []
    assert thinking == {"type": "thinking", "thinking": "chalk 5 is ESM-only; jest runs CommonJS."}
    assert text["text"] == "Upgrade Jest to 30, which loads ES modules natively."
    assert (call["name"], call["input"]) == ("run_terminal_command", {"command": "npm ls jest"})
    # No tool message answers the call: its state's output is the result, an error as the state says.
    assert (result["content"], result["is_error"]) == ("Command timed out after 30s", True)
    assert conversation.metadata["models"] == ["GPT-5"]
    assert (conversation.turns[3].blocks or [])[0][
        "thinking"
    ] == "Pinning the dependency avoids touching Jest."


def test_bad_items_are_named_by_their_path() -> None:
    session = json.loads(EDIT.read_bytes())
    session["history"][2]["message"]["role"] = "human"
    conversations, errors = parse("continue", json.dumps(session, indent=2).encode(), EDIT.name)
    assert conversations == []
    assert errors_of(errors) == [
        (
            None,
            "$",
            'history[2].message.role: expected one of user, assistant, thinking, system, tool, got "human"',
        )
    ]
    session["history"][2] = {"contextItems": []}
    _, errors = parse("continue", json.dumps(session, indent=2).encode(), EDIT.name)
    assert errors_of(errors) == [(None, "$", "history[2].message: expected an object, got null")]
    session["history"] = {"0": {}}
    _, errors = parse("continue", json.dumps(session, indent=2).encode(), EDIT.name)
    reason = "the file's JSON object is not a continue conversation: history: expected a list, got an object"
    assert errors_of(errors) == [(None, "$", reason)]


def test_an_unanswered_session_is_skipped() -> None:
    session = {"sessionId": "s", "title": "New Session", "workspaceDirectory": "", "history": []}
    results = list(get_importer("continue").parse(io.BytesIO(json.dumps(session).encode()), "s.json"))
    assert results == [Skipped("Continue session without a conversation")]


def test_the_index_and_the_rest_of_dot_continue_are_skipped_by_path() -> None:
    assert not_conversation_reason("/home/u/.continue/sessions/sessions.json", 10) == (
        "Continue session index (sessions.json)"
    )
    assert (
        not_conversation_reason("backup/sessions/sessions.json", 10)
        == "Continue session index (sessions.json)"
    )
    assert not_conversation_reason("/home/u/.continue/config.yaml", 10) == (
        "Continue settings, indexes or logs, not sessions"
    )
    assert not_conversation_reason("/home/u/.continue/sessions/abc.json", 10) is None


def test_a_continue_folder_imports_once(engine: Engine, tmp_path: Path) -> None:
    home = tmp_path / ".continue"
    shutil.copytree(SESSIONS, home / "sessions")
    (home / "config.yaml").write_text("name: Local Assistant\nversion: 1.0.0\n")
    (home / "dev_data" / "0.2.0").mkdir(parents=True)
    (home / "dev_data" / "0.2.0" / "chatInteraction.jsonl").write_text('{"modelTitle": "GPT-5"}\n')
    summary = run_import(engine, paths=[home])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert {report["format"] for report in summary.file_reports} == {"continue", None}
    assert dict(summary.skipped) == {
        "Continue session index (sessions.json)": 1,
        "Continue settings, indexes or logs, not sessions": 2,
    }
    again = run_import(engine, paths=[home])
    assert (again.conversations_added, again.duplicates) == (0, 2)
