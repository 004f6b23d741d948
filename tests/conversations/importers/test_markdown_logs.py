"""aider and SpecStory Markdown logs, and the Claude.ai data export (fixtures written by hand)."""

from __future__ import annotations

from pathlib import Path

from app.conversations.importers import detect_format

from .helpers import parse

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"


Shaped = list[list[tuple[str, str, list[tuple[str, str | None]]]]]


def _read(name: str) -> tuple[str | None, Shaped, list]:
    path = REAL / name
    data = path.read_bytes()
    fmt = detect_format(data, str(path))
    assert fmt is not None
    conversations, errors = parse(fmt, data, str(path))
    shaped: Shaped = [
        [
            (t.role, t.text, [(b["type"], b.get("tag") or b.get("name")) for b in t.blocks or []])
            for t in c.turns
        ]
        for c in conversations
    ]
    return fmt, shaped, errors


def test_aider_history_one_conversation_per_answered_session() -> None:
    fmt, conversations, errors = _read("aider/.aider.chat.history.md")
    assert (fmt, errors) == ("aider", [])
    first, second = conversations
    assert [(role, text.split("\n")[0], blocks) for role, text, blocks in first] == [
        ("user", "add a function that divides two numbers", [("context", "aider-output")]),
        ("assistant", "I'll add `divide` to calc.py.", []),
        ("user", "that doesn't raise on zero, it should raise ValueError", [("context", "aider-output")]),
        ("assistant", "You're right, here is the fix:", []),
    ]
    assert first[0][1] == "add a function that divides two numbers\n  and raises on zero"
    # `> Applied edit` inside the answer's aftermath is aider talking, not the model.
    assert "Applied edit" not in first[1][1]
    assert first[1][1].endswith(">>>>>>> REPLACE\n```")
    assert second == [
        ("user", "what does divide return for 1, 4?", [("context", "aider-output")]),
        ("assistant", "It returns 0.25.", []),
    ]


def test_specstory_blocks_merge_per_response_and_tools_become_blocks() -> None:
    fmt, conversations, errors = _read(
        "specstory/.specstory/history/2025-05-10_12-00Z-fix-flaky-date-test.md"
    )
    assert (fmt, errors) == ("specstory", [])
    (turns,) = conversations
    assert turns == [
        ("user", "The test in test_dates.py fails around midnight. Why?", []),
        (
            "assistant",
            "Let me look at the test.\n\nIt calls `date.today()` twice; across midnight the two calls differ.",
            [("thinking", None), ("tool_use", "read_file"), ("text", None), ("text", None)],
        ),
        ("user", "No, it only calls it once. Look again at the fixture.", []),
        (
            "assistant",
            "The fixture builds the expected date at import time, the test at run time: freeze the clock in both.",
            [("tool_use", "Read"), ("tool_use", "Grep"), ("text", None)],
        ),
    ]


def test_claude_ai_export_messages_attachments_and_empty_chats() -> None:
    fmt, conversations, errors = _read("claude_ai_export/conversations.json")
    assert (fmt, errors) == ("claude-ai", [])
    (turns,) = conversations
    assert turns == [
        ("user", "Write a regex for ISO dates", [("context", "attachment")]),
        ("assistant", "Use `\\d+`.", [("thinking", None), ("text", None)]),
        ("user", "That matches any number, not a date. I need YYYY-MM-DD.", []),
        ("assistant", "Use `^\\d{4}-\\d{2}-\\d{2}$`.", []),
    ]
