"""The pi coding agent's session files, written by hand in the shape of its session documentation and of a real
session a repository committed (tenth fetch: matched no format)."""

from __future__ import annotations

import io
import json
from typing import Any

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped

from .helpers import parse, turns

HEADER = {
    "type": "session",
    "version": 3,
    "id": "019f5be5-7b1a",
    "timestamp": "2026-07-13T14:33:13Z",
    "cwd": "/w",
}


def _entry(entry_id: str, parent: str | None, kind: str = "message", **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": entry_id, "parentId": parent, "timestamp": "2026-07-13T14:33:20Z", **fields}


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}], "timestamp": 1}


def _assistant(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": list(blocks),
        "provider": "zai",
        "model": "glm-5.2",
        "stopReason": "stop",
    }


def _session(*entries: dict[str, Any]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in (HEADER, *entries)).encode()


RESULT = {
    "role": "toolResult",
    "toolCallId": "call_1",
    "toolName": "find",
    "isError": False,
    "content": [{"type": "text", "text": "data/a.csv\ndata/b.json"}],
}
SESSION = _session(
    _entry("m1", None, "model_change", provider="zai", modelId="glm-5.2"),
    _entry(
        "c1",
        "m1",
        "custom_message",
        customType="volatile-project-context",
        content="<system-reminder>",
        display=False,
    ),
    _entry("u1", "c1", message=_user("list the csv files")),
    _entry(
        "a1",
        "u1",
        message=_assistant(
            {"type": "thinking", "thinking": "I should run find."},
            {"type": "text", "text": "Let me look."},
            {"type": "toolCall", "id": "call_1", "name": "find", "arguments": {"paths": ["data"]}},
        ),
    ),
    _entry("r1", "a1", message=RESULT),
    _entry("a2", "r1", message=_assistant({"type": "text", "text": "There are two: a.csv and b.json."})),
    _entry("u2", "a2", message=_user("b.json is not a csv file")),
    # A branch the person left with /tree: not the thread.
    _entry("a3x", "u2", message=_assistant({"type": "text", "text": "It is a CSV file."})),
    _entry(
        "a3", "u2", message=_assistant({"type": "text", "text": "You're right: only a.csv is a CSV file."})
    ),
    _entry("s1", "a3", "session_info", name="CSV files"),
)


def test_a_sessions_thread_to_its_last_entry() -> None:
    assert detect_format(SESSION, "2026-07-13T14-33-13_019f5be5.jsonl") == "pi-agent"
    (chat,), errors = parse("pi-agent", SESSION, "session.jsonl")
    assert errors == []
    assert turns(chat) == [
        ("user", "list the csv files"),
        ("assistant", "Let me look.\n\nThere are two: a.csv and b.json."),
        ("user", "b.json is not a csv file"),
        ("assistant", "You're right: only a.csv is a CSV file."),
    ]
    blocks = chat.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "text", "tool_use", "tool_result", "text"]
    assert blocks[3]["content"] == "data/a.csv\ndata/b.json"
    assert (chat.external_id, chat.title) == ("019f5be5-7b1a", "CSV files")
    assert chat.metadata == {"tool": "pi", "cwd": "/w", "models": ["glm-5.2"]}
    assert chat.dropped == {"extension message": 1}


def test_a_session_without_an_answer_is_skipped_and_a_bad_message_is_its_lines_error() -> None:
    only_prompt = _session(_entry("u1", None, message=_user("hi")))
    results = list(get_importer("pi-agent").parse(io.BytesIO(only_prompt), "s.jsonl"))
    assert results == [Skipped("pi session without a prompt and an answer")]
    bad = _session(
        _entry("u1", None, message=_user("hi")),
        _entry("x1", "u1", message={"role": "robot", "content": "?"}),
        _entry("a1", "x1", message=_assistant({"type": "text", "text": "Hello!"})),
    )
    (chat,), errors = parse("pi-agent", bad, "s.jsonl")
    assert [(e.line, e.reason) for e in errors] == [
        (3, "message.role: expected user, assistant or toolResult, got 'robot'")
    ]
    assert len(chat.turns) == 2
    # A header without the folder is some other tool's.
    assert detect_format(b'{"type": "session", "version": 3, "id": "x"}\n', "s.jsonl") != "pi-agent"
