"""Jan threads: `threads/<id>/messages.jsonl`, one ThreadMessage a line, `thread.json` beside it skipped.

The fixtures (tests/fixtures/real_formats/jan/) are written by hand in the shapes Jan writes: the web app's
`newUserThreadContent`/`newAssistantThreadContent` and `postMessageProcessing` (`metadata.tool_calls`), and the
newer `reasoning`/`tool_call` content items (`web-app/src/lib/messages.ts`), appended by the Tauri core.
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

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "jan"
SORTING = ROOT / "threads" / "01JBX7Q3" / "messages.jsonl"
NEWER = ROOT / "threads" / "01JBX9ZZ" / "messages.jsonl"


def _message(role: str, text: str, **extra: object) -> dict[str, object]:
    return {
        "id": f"m-{role}",
        "object": "thread.message",
        "thread_id": "t1",
        "role": role,
        "content": [{"type": "text", "text": {"value": text, "annotations": []}}],
        "status": "ready",
        "created_at": 1,
        "completed_at": 1,
        **extra,
    }


def test_messages_are_detected_by_content_and_not_taken_by_others() -> None:
    for path in (SORTING, NEWER):
        assert detect_format(path.read_bytes(), "messages.jsonl") == "jan"
    assert detect_format(jsonl({"messages": [{"role": "user", "content": "hi"}]}), "x.jsonl") == "openai"


def test_a_first_message_longer_than_the_head_is_still_detected() -> None:
    long = _message("user", "word " * 20_000)
    assert detect_format(jsonl(long)[:65536], "messages.jsonl") == "jan"
    # The Rust core writes keys sorted, so `content` comes before `object`.
    ordered = json.dumps(long, sort_keys=True, separators=(",", ":")).encode()
    assert detect_format(ordered[:65536], "messages.jsonl") == "jan"


def test_a_thread_is_its_prompts_and_answers_with_reasoning_and_tools_as_blocks() -> None:
    conversation = parse_one("jan", SORTING.read_bytes(), str(SORTING))
    assert turns(conversation) == [
        ("user", "How do I sort a Python dict by value?"),
        ("assistant", "Use `sorted(d.items())`."),
        ("user", "That sorts by key, not by value."),
        ("assistant", "You're right. Use `sorted(d.items(), key=lambda kv: kv[1])`."),
    ]
    assert conversation.external_id == "01JBX7Q3"
    assert conversation.title == "How do I sort a Python dict by value?"
    assert conversation.metadata == {"assistants": ["Jan"]}
    thinking, _ = conversation.turns[1].blocks or []
    assert thinking == {"type": "thinking", "thinking": "The user wants sorted()."}
    _, call, result = conversation.turns[3].blocks or []
    assert (call["id"], call["name"]) == ("01TOOL", "python")
    assert call["input"] == {"code": "print(sorted({'a': 2, 'b': 1}.items(), key=lambda kv: kv[1]))"}
    assert result == {
        "type": "tool_result",
        "tool_use_id": "01TOOL",
        "content": "[('b', 1), ('a', 2)]",
        "is_error": False,
    }


def test_newer_reasoning_and_tool_call_items_are_blocks_in_order() -> None:
    conversation = parse_one("jan", NEWER.read_bytes(), str(NEWER))
    assert turns(conversation) == [("user", "What is 2+2?"), ("assistant", "2+2 = 4.")]
    assert [block["type"] for block in conversation.turns[1].blocks or []] == [
        "thinking",
        "tool_use",
        "tool_result",
        "text",
    ]
    _, call, result, _ = conversation.turns[1].blocks or []
    assert (call["id"], call["input"], result["content"]) == ("call_1", {"expr": "2+2"}, "4")


def test_error_answers_tool_messages_and_a_system_prompt() -> None:
    data = jsonl(
        _message("system", "Be brief."),
        _message("user", "Weather?"),
        _message("assistant", "Failed to fetch", status="error"),
        _message(
            "assistant",
            "",
            metadata={
                "tool_calls": [
                    {
                        "tool": {"id": "c1", "function": {"name": "w", "arguments": "{}"}},
                        "response": {"content": [], "error": "timeout"},
                        "state": "ready",
                    }
                ]
            },
        ),
        {**_message("tool", "sunny"), "tool_call_id": "c2"},
        _message(
            "assistant",
            "<|channel|>analysis<|message|>Look it up.<|start|>assistant<|channel|>final<|message|>Sunny.",
        ),
    )
    conversation = parse_one("jan", data)
    assert conversation.system_prompt == "Be brief."
    assert turns(conversation) == [("user", "Weather?"), ("assistant", "Sunny.")]
    blocks = conversation.turns[1].blocks or []
    assert [(b["type"], b.get("is_error")) for b in blocks] == [
        ("tool_use", None),
        ("tool_result", True),
        ("tool_result", False),
        ("thinking", None),
        ("text", None),
    ]


def test_bad_lines_are_named_by_line_and_an_empty_thread_is_skipped() -> None:
    lines = SORTING.read_bytes().splitlines(keepends=True)
    broken = [
        lines[0],
        b"[1]\n",
        b'{"role": "bot", "content": []}\n',
        b'{"role": "user", "content": "x"}\n',
        *lines[1:],
    ]
    conversations, errors = parse("jan", b"".join(broken), str(SORTING))
    assert len(conversations) == 1
    assert errors_of(errors) == [
        (2, None, "expected a message object, got a list"),
        (3, None, "role: expected user, assistant, system or tool, got bot"),
        (4, None, "content: expected a list of items, got a string"),
    ]
    results = list(get_importer("jan").parse(io.BytesIO(jsonl(_message("user", "hi"))), "messages.jsonl"))
    assert results == [Skipped("thread without a conversation")]


def test_a_jan_folder_imports_once_and_skips_thread_json(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert dict(summary.skipped) == {"Jan thread metadata (thread.json), not the messages": 1}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_a_tools_own_json_output_is_its_result() -> None:
    """A `tool_call` item whose output is the tool's own object, not Jan's `{content: [...]}` (another tool's fixture
    of Jan threads holds one): the result keeps it as JSON instead of coming out empty."""
    lines = [
        {"id": "m1", "object": "thread.message", "thread_id": "t", "role": "user",
         "content": [{"type": "text", "text": {"value": "find the docs", "annotations": []}}]},
        {"id": "m2", "object": "thread.message", "thread_id": "t", "role": "assistant",
         "content": [{"type": "text", "text": {"value": "Found two pages."}},
                     {"type": "tool_call", "tool_call_id": "c1", "tool_name": "search", "input": {"query": "docs"},
                      "output": {"items": ["intro", "api"]}}]},
    ]  # fmt: skip
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    conversation = parse_one("jan", data, "threads/t/messages.jsonl")
    results = [b for b in conversation.turns[1].blocks or [] if b["type"] == "tool_result"]
    assert [r["content"] for r in results] == ['{"items":["intro","api"]}']
