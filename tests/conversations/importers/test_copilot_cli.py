"""GitHub Copilot CLI sessions (`~/.copilot/session-state/<id>/events.jsonl`): the fixture
(tests/fixtures/real_formats/copilot_cli/) is written by hand in the shape of the CLI's event lines (session
start, typed messages, answers with tool requests, tool results, a failed one)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "copilot_cli"
(EVENTS,) = ROOT.rglob("events.jsonl")


def test_a_session_reads_what_was_typed_and_answered() -> None:
    assert detect_format(EVENTS.read_bytes(), "events.jsonl") == "copilot-cli"
    conversation = parse_one("copilot-cli", EVENTS.read_bytes(), str(EVENTS))
    assert conversation.external_id == "9d2c4e6f-1a3b-4c5d-8e7f-0a1b2c3d4e5f"
    assert conversation.metadata == {
        "copilotVersion": "0.0.352",
        "cwd": "/home/kim/svc",
        "branch": "main",
        "startTime": "2025-11-20T15:00:00.000Z",
    }
    # What the person typed, not the CLI's transformed content.
    assert turns(conversation)[0] == ("user", "Add a /healthz endpoint to app.py")
    assert conversation.dropped == {"attachment": 1}
    blocks = conversation.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["text", "tool_use", "tool_result", "text"]
    assert blocks[2]["content"] == "File app.py updated."
    last = conversation.turns[3].blocks or []
    assert (last[-1]["type"], last[-1]["is_error"]) == ("tool_result", True)
    (pair,) = [p for p in find_pairs(conversation) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_the_session_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="copilot", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="copilot", workers=0).conversations_added == 0


def test_the_copilot_folder_imports_its_sessions_and_skips_the_rest(engine: Engine, tmp_path: Path) -> None:
    home = tmp_path / ".copilot"
    session = home / "session-state" / EVENTS.parent.name
    session.mkdir(parents=True)
    (session / "events.jsonl").write_bytes(EVENTS.read_bytes())
    (session / "workspace.yaml").write_text("cwd: /home/kim/svc\n")
    (home / "logs").mkdir()
    (home / "logs" / "session.log").write_text("started\n")
    (home / "config.json").write_text('{"model": "gpt-5"}\n')
    summary = run_import(engine, paths=[home], workers=0)
    assert (summary.conversations_added, summary.error_count) == (1, 0)
    assert dict(summary.skipped) == {"GitHub Copilot CLI settings, logs or history, not sessions": 3}


def test_a_first_versions_session_object_is_read_and_an_empty_one_skipped() -> None:
    session = {
        "sessionId": "5f0c1d2e-0000-4000-8000-000000000001",
        "startTime": "2025-10-03T13:27:00.507Z",
        "chatMessages": [
            {"role": "user", "content": "list the biggest files under src"},
            {
                "role": "assistant",
                "content": "The three biggest are `src/app.ts`, `src/db.ts` and `src/ui.ts`.",
            },
        ],
        "timeline": [
            {"id": "t1", "timestamp": "2025-10-03T13:27:26.894Z", "type": "info", "text": "Model: gpt-5"}
        ],
        "selectedModel": "gpt-5",
    }
    data = json.dumps(session, indent=2).encode()
    assert detect_format(data, "session_5f0c1d2e_1759498020507.json") == "copilot-cli"
    (conversation,) = list(get_importer("copilot-cli").parse(io.BytesIO(data), "session.json"))
    assert isinstance(conversation, ParsedConversation)
    assert conversation.external_id == session["sessionId"]
    assert conversation.metadata == {"model": "gpt-5"}
    assert [turn.role for turn in conversation.turns] == ["user", "assistant"]
    session["chatMessages"] = []
    empty = list(get_importer("copilot-cli").parse(io.BytesIO(json.dumps(session).encode()), "session.json"))
    assert empty == [Skipped("Copilot CLI session without messages (nothing was asked)")]


def _event(n: int, kind: str, data: dict[str, object]) -> str:
    return json.dumps(
        {"type": kind, "data": data, "id": f"e{n}", "timestamp": "2026-01-05T10:00:00Z", "parentId": None}
    )


def test_a_subagents_prompt_and_work_in_vs_codes_events_are_its_calls_not_the_persons() -> None:
    # VS Code's agent logs a subagent inside the session: its prompt as a user.message, its own messages and tools.
    lines = [
        _event(0, "session.start", {"sessionId": "s-42"}),
        _event(1, "user.message", {"content": "why can't partners see coin balances?", "attachments": []}),
        _event(2, "assistant.message", {"content": "", "toolRequests": [
            {"toolCallId": "call_sub", "name": "runSubagent", "arguments": "{\"prompt\": \"Search backend/src\"}"}]}),
        _event(3, "tool.execution_start", {"toolCallId": "call_sub", "toolName": "runSubagent"}),
        _event(4, "user.message", {"content": "Search backend/src for the logic that restricts coin access.",
                                   "attachments": []}),
        _event(5, "tool.execution_start", {"toolCallId": "call_grep", "toolName": "grep_search"}),
        _event(6, "tool.execution_complete", {"toolCallId": "call_grep", "result": {"content": "coins.ts:12"}}),
        _event(7, "assistant.message", {"content": "The restriction lives in coins.ts, line 12."}),
        _event(8, "tool.execution_complete", {"toolCallId": "call_sub",
                                              "result": {"content": "The restriction lives in coins.ts, line 12."}}),
        _event(9, "assistant.message", {"content": "Found it: assertPartnerCoinAccess in coins.ts blocks partners."}),
    ]  # fmt: skip
    chat = parse_one("copilot-cli", "\n".join(lines).encode(), "events.jsonl")
    assert [role for role, _ in turns(chat)] == ["user", "assistant"]
    assert chat.title == "why can't partners see coin balances?"
    answer = chat.turns[1]
    assert answer.text == "Found it: assertPartnerCoinAccess in coins.ts blocks partners."
    assert [b["type"] for b in answer.blocks or []] == ["tool_use", "tool_result", "text"]
    assert chat.dropped == {"subagent event": 3}  # its prompt, its tool result and its message
