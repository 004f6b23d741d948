"""Coding agents' headless JSON output (app/conversations/importers/agent_stream.py), written here from the tools'
documented event shapes (Claude Code's stream-json, Gemini CLI's stream-json, cursor-agent's stream-json, Codex's
`exec --json`, opencode's `run --format json`)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import jsonl, turns

SID = "5b0f3c2e-8a41-4d6e-9f1a-2c7e3b9d1a00"


def _claude(kind: str, content: Any, message_id: str = "msg_1", **extra: Any) -> dict[str, Any]:
    role = "assistant" if kind == "assistant" else "user"
    message = (
        {"id": message_id, "type": "message", "role": role, "content": content}
        if role == "assistant"
        else {
            "role": role,
            "content": content,
        }
    )
    return {"type": kind, "message": message, "parent_tool_use_id": None, "session_id": SID, **extra}


CLAUDE_INIT = {
    "type": "system",
    "subtype": "init",
    "cwd": "/work/shop",
    "session_id": SID,
    "tools": ["Bash", "Read", "Edit"],
    "model": "claude-sonnet-4-5",
    "claude_code_version": "2.1.3",
}
CLAUDE_REPLAYED = [
    CLAUDE_INIT,
    _claude("user", "Cap the page size of GET /items at 100.", isReplay=True),
    _claude("assistant", [{"type": "thinking", "thinking": "Find the handler first."}]),
    _claude(
        "assistant",
        [{"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "items.py"}}],
    ),
    _claude(
        "user", [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "def list_items(limit): ..."}]
    ),
    _claude("assistant", [{"type": "text", "text": "Capped `limit` at 100 in `items.py`."}], "msg_2"),
    {
        "type": "result",
        "subtype": "success",
        "result": "Capped `limit` at 100 in `items.py`.",
        "session_id": SID,
        "num_turns": 3,
        "total_cost_usd": 0.01,
    },
    CLAUDE_INIT,
    _claude("user", "that's wrong, the spec says 50 is the most a list returns", isReplay=True),
    _claude("assistant", [{"type": "text", "text": "You're right: the cap is 50 now."}], "msg_3"),
    {
        "type": "result",
        "subtype": "success",
        "result": "You're right: the cap is 50 now.",
        "session_id": SID,
        "num_turns": 1,
        "total_cost_usd": 0.01,
    },
]


def _parse(
    data: bytes, name: str = "run.jsonl"
) -> tuple[list[ParsedConversation], list[Skipped], list[RecordError]]:
    assert detect_format(data[:65536], name) == "agent-stream"
    results = list(get_importer("agent-stream").parse(io.BytesIO(data), name))
    return (
        [r for r in results if isinstance(r, ParsedConversation)],
        [r for r in results if isinstance(r, Skipped)],
        [r for r in results if isinstance(r, RecordError)],
    )


def test_claude_codes_replayed_prompts_make_a_conversation_with_its_tool_calls() -> None:
    (conversation,), skipped, errors = _parse(jsonl(*CLAUDE_REPLAYED))
    assert (skipped, errors) == ([], [])
    assert turns(conversation) == [
        ("user", "Cap the page size of GET /items at 100."),
        ("assistant", "Capped `limit` at 100 in `items.py`."),
        ("user", "that's wrong, the spec says 50 is the most a list returns"),
        ("assistant", "You're right: the cap is 50 now."),
    ]
    assert [block["type"] for block in conversation.turns[1].blocks or []] == [
        "thinking",
        "tool_use",
        "tool_result",
        "text",
    ]
    assert conversation.external_id == SID
    assert conversation.metadata["tool"] == "claude-code"
    assert conversation.metadata["model"] == "claude-sonnet-4-5"


def test_a_run_whose_prompt_was_on_the_command_line_is_skipped_with_its_reason() -> None:
    without_prompt = [line for line in CLAUDE_REPLAYED if not line.get("isReplay")]
    conversations, skipped, _ = _parse(jsonl(*without_prompt))
    assert conversations == []
    assert [s.reason for s in skipped] == [
        "headless agent run without its prompt (given on the command line, not in the output)"
    ]
    # `--output-format json`: the result object alone, and Gemini CLI's `{response, stats}`.
    (result,) = [line for line in CLAUDE_REPLAYED if line["type"] == "result"][:1]
    assert _parse(json.dumps(result).encode(), "result.json")[1] == skipped
    gemini = {
        "session_id": "g1",
        "response": "The N+1 is in OrderList.",
        "stats": {"models": {}, "tools": {}},
    }
    assert _parse(json.dumps(gemini, indent=2).encode(), "out.json")[1] == skipped


def test_claude_codes_first_json_result_is_skipped_like_the_current_one() -> None:
    early = {
        "role": "system",
        "cost_usd": 0.12,
        "duration_ms": 30500,
        "duration_api_ms": 30100,
        "result": "I've renamed the helper and updated its callers.",
        "session_id": "e2a1b0c4-0000-4000-8000-000000000001",
    }
    for data in (json.dumps(early).encode(), json.dumps(early, indent=2).encode()):
        assert [s.reason for s in _parse(data, "out.json")[1]] == [
            "headless agent run without its prompt (given on the command line, not in the output)"
        ]


def _subagent(kind: str, content: Any, message_id: str = "msg_s1") -> dict[str, Any]:
    return {**_claude(kind, content, message_id), "parent_tool_use_id": "toolu_task"}


TASK_RUN = [
    _claude(
        "assistant",
        [{"type": "tool_use", "id": "toolu_task", "name": "Task", "input": {"prompt": "List the callers."}}],
    ),
    _subagent("user", [{"type": "text", "text": "List every caller of parse_date and say which pass a tz."}]),
    _subagent("assistant", [{"type": "text", "text": "Searching the repository."}]),
    _subagent("user", [{"type": "tool_result", "tool_use_id": "toolu_grep", "content": "a.py:3"}]),
    _subagent("assistant", [{"type": "text", "text": "One caller, a.py line 3, passes no tz."}], "msg_s2"),
    _claude(
        "user",
        [{"type": "tool_result", "tool_use_id": "toolu_task", "content": "One caller: a.py:3, no tz."}],
    ),
    _claude(
        "assistant", [{"type": "text", "text": "Only a.py calls it; I made tz required there."}], "msg_4"
    ),
]


def test_a_subagents_prompt_and_messages_are_no_turns_of_the_conversation() -> None:
    """The Task tool's prompt comes back as a `user` line with `parent_tool_use_id` set: the assistant wrote it.
    Read as the person's, it was a turn after the answer, and a pushback of a false pair."""
    replayed = [CLAUDE_INIT, _claude("user", "Make tz required in parse_date.", isReplay=True), *TASK_RUN]
    (conversation,), skipped, errors = _parse(jsonl(*replayed))
    assert (skipped, errors) == ([], [])
    assert turns(conversation) == [
        ("user", "Make tz required in parse_date."),
        ("assistant", "Only a.py calls it; I made tz required there."),
    ]
    assert [block["type"] for block in conversation.turns[1].blocks or []] == [
        "tool_use",
        "tool_result",
        "text",
    ]
    # Without the person's prompt (given on the command line), the run is skipped, as a `--verbose` array too.
    conversations, skipped, _ = _parse(jsonl(CLAUDE_INIT, *TASK_RUN))
    assert conversations == []
    assert [s.reason for s in skipped] == [
        "headless agent run without its prompt (given on the command line, not in the output)"
    ]
    assert _parse(json.dumps([CLAUDE_INIT, *TASK_RUN]).encode(), "out.json")[1] == skipped


def test_codex_and_opencode_print_no_prompt() -> None:
    codex = jsonl(
        {"type": "thread.started", "thread_id": "0199a213-81c0-7800-8aa1-bbab2a035a53"},
        {"type": "turn.started"},
        {
            "type": "item.completed",
            "item": {"id": "item_0", "type": "agent_message", "text": "Fixed the parser."},
        },
        {
            "type": "turn.completed",
            "usage": {"input_tokens": 10, "cached_input_tokens": 0, "output_tokens": 5},
        },
    )
    opencode = jsonl(
        {"type": "step_start", "timestamp": 1, "sessionID": "ses_1", "part": {"type": "step-start"}},
        {"type": "text", "timestamp": 2, "sessionID": "ses_1", "part": {"type": "text", "text": "Done."}},
    )
    for data in (codex, opencode):
        conversations, skipped, errors = _parse(data)
        assert (conversations, errors) == ([], [])
        assert [s.reason for s in skipped] == [
            "headless agent run without its prompt (given on the command line, not in the output)"
        ]


def _gemini(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "timestamp": "2026-01-30T06:18:17.751Z", **fields}


GEMINI_CHAIN = [
    _gemini("init", session_id="g-77", model="gemini-2.5-pro"),
    _gemini("message", role="user", content="Why does the build fail with TS2345?"),
    _gemini("message", role="assistant", content="I'll read the file.", delta=True),
    _gemini(
        "tool_use", tool_name="read_file", tool_id="read_file-1", parameters={"file_path": "src/date.ts"}
    ),
    _gemini("tool_result", tool_id="read_file-1", status="success", output=""),
    _gemini("message", role="assistant", content="The import on line 1 ", delta=True),
    _gemini("message", role="assistant", content="has no typed default export.", delta=True),
    _gemini("result", status="success", stats={"total_tokens": 10}),
    _gemini("init", session_id="g-77", model="gemini-2.5-pro"),
    _gemini("message", role="user", content="That's wrong. tsc points at line 42, look again."),
    _gemini(
        "message", role="assistant", content="You're right, line 42 passes a nullable string.", delta=True
    ),
    _gemini("tool_use", tool_name="replace", tool_id="replace-2", parameters={"file_path": "src/date.ts"}),
    _gemini(
        "tool_result", tool_id="replace-2", status="error", error={"type": "edit", "message": "no match"}
    ),
    _gemini("result", status="success", stats={"total_tokens": 12}),
]


def test_gemini_cli_joins_the_answers_chunks_and_a_resumed_run_continues_the_session() -> None:
    (conversation,), skipped, errors = _parse(jsonl(*GEMINI_CHAIN))
    assert (skipped, errors) == ([], [])
    assert turns(conversation) == [
        ("user", "Why does the build fail with TS2345?"),
        ("assistant", "I'll read the file.\n\nThe import on line 1 has no typed default export."),
        ("user", "That's wrong. tsc points at line 42, look again."),
        ("assistant", "You're right, line 42 passes a nullable string."),
    ]
    last = conversation.turns[3].blocks or []
    assert last[-1] == {
        "type": "tool_result",
        "tool_use_id": "replace-2",
        "content": "no match",
        "is_error": True,
    }
    assert conversation.metadata == {"tool": "gemini-cli", "model": "gemini-2.5-pro"}


def test_a_wrappers_own_first_line_does_not_hide_the_run() -> None:
    wrapped = [{"type": "message", "role": "user", "content": "Figma URL: ...", "ts": "2026-01-30T06:18:04"}]
    (conversation,), _, _ = _parse(jsonl(*wrapped, *GEMINI_CHAIN[:8]))
    assert conversation.turns[0].text == "Why does the build fail with TS2345?"


def test_cursor_agents_echo_and_tool_calls() -> None:
    sid = "c-1"
    data = jsonl(
        {
            "type": "system",
            "subtype": "init",
            "apiKeySource": "login",
            "cwd": "/w",
            "session_id": sid,
            "model": "Claude 4 Sonnet",
            "permissionMode": "default",
        },
        {
            "type": "user",
            "message": {"role": "user", "content": [{"type": "text", "text": "Rename getUser."}]},
            "session_id": sid,
        },
        {
            "type": "tool_call",
            "subtype": "started",
            "call_id": "t1",
            "session_id": sid,
            "tool_call": {"readToolCall": {"args": {"path": "users.ts"}}},
        },
        {
            "type": "tool_call",
            "subtype": "completed",
            "call_id": "t1",
            "session_id": sid,
            "tool_call": {
                "readToolCall": {"args": {"path": "users.ts"}, "result": {"success": {"content": "x"}}}
            },
        },
        {
            "type": "assistant",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "Renamed it."}]},
            "session_id": sid,
        },
        {
            "type": "result",
            "subtype": "success",
            "is_error": False,
            "result": "Renamed it.",
            "session_id": sid,
        },
    )
    (conversation,), _, _ = _parse(data)
    assert turns(conversation) == [("user", "Rename getUser."), ("assistant", "Renamed it.")]
    assert [b["type"] for b in conversation.turns[1].blocks or []] == ["tool_use", "tool_result", "text"]
    assert conversation.metadata["tool"] == "cursor-agent"


def test_one_conversation_per_session_and_a_bad_line_is_an_error_naming_it() -> None:
    other = [{**line, "session_id": "other"} for line in CLAUDE_REPLAYED[:7]]
    data = jsonl(*CLAUDE_REPLAYED[:7], *other).replace(b"\n", b"\n{not json\n", 1)
    conversations, _, errors = _parse(data)
    assert [c.external_id for c in conversations] == [SID, "other"]
    assert [(e.line, e.reason[:12]) for e in errors] == [(2, "invalid JSON")]


@pytest.mark.parametrize("workers", [0, 2])
def test_imports_with_its_pair_and_again_adds_nothing(engine: Engine, tmp_path: Any, workers: int) -> None:
    (tmp_path / "claude.jsonl").write_bytes(jsonl(*CLAUDE_REPLAYED))
    (tmp_path / "gemini.jsonl").write_bytes(jsonl(*GEMINI_CHAIN))
    summary = run_import(engine, paths=[tmp_path], source="ci", workers=workers)
    assert (summary.conversations_added, summary.pairs_detected, summary.errors) == (2, 2, [])
    again = run_import(engine, paths=[tmp_path], source="ci", workers=workers)
    assert again.conversations_added == 0
