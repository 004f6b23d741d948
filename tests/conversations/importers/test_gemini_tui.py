# ruff: noqa: RUF001, RUF002 - Gemini CLI marks its notices with U+2139
"""Gemini CLI's terminal view copied as text: written in the shape of a real copy (thirteenth fetch: the logo banner
and tips, `│  > ` prompt boxes, `✦` answers, indented tool boxes with `✓` / `✗` calls, `ℹ` notices, the input box
and the status bar)."""

from __future__ import annotations

from app.conversations.importers import detect_format

from .helpers import parse_one, turns

SESSION = """\

 ███            █████████  ██████████
░░░███         ███░░░░░███░░███░░░░░█

Tips for getting started:
1. Ask questions, edit files, or run commands.
2. /help for more information.

╭──────────────────╮
│  > /ide install  │
╰──────────────────╯


ℹ🟢 Connected to VS Code


╭──────────────────────────────────────╮
│  > why does the cache never expire?  │
│    look at cache.py                  │
╰──────────────────────────────────────╯

 ╭──────────────────────────────────────────╮
 │ ✓  ReadFile cache.py                     │
 │                                          │
 │ ✗  Shell pytest -k expiry (Run the test) │
 │                                          │
 │    1 failed, 3 passed in 0.41s           │
 ╰──────────────────────────────────────────╯
✦ get() never compares the ttl with the clock, so entries
  live forever.

  Compare it on every read.

╭───────────────────╮
│  > it still fails  │
╰───────────────────╯

✦ Let me fix get() itself.
 ╭────────────────────────────────────────────────────╮
 │ ✓  Edit cache.py: return entry.value => if entry... │
 │                                                    │
 │    41   entry = self._store.get(key)               │
 │    42 - return entry.value                         │
 │    42 + if entry.expired(): return None            │
 ╰────────────────────────────────────────────────────╯
✦ Fixed: expired entries are no longer returned.

Using: 2 open files (ctrl+g to view)
╭──────────────────────────────────────────────────────────╮
│ >   Type your message or @path/to/file                   │
╰──────────────────────────────────────────────────────────╯
~/src/weather      no sandbox (see /docs)      gemini-2.5-pro (97% context left)
"""


def test_a_gemini_terminal_copy_is_detected_by_content() -> None:
    assert detect_format(SESSION.encode(), "session.txt") == "gemini-tui"
    assert detect_format("✦ a sparkle\n\nsome notes\n".encode(), "notes.txt") != "gemini-tui"


def test_prompt_boxes_answers_and_tool_boxes() -> None:
    conversation = parse_one("gemini-tui", SESSION.encode(), "session.txt")
    assert conversation.metadata == {"model": "gemini-2.5-pro"}
    assert conversation.title == "why does the cache never expire? look at cache.py"
    assert turns(conversation) == [
        ("user", "why does the cache never expire?\nlook at cache.py"),
        (
            "assistant",
            "get() never compares the ttl with the clock, so entries\nlive forever.\n\nCompare it on every read.",
        ),
        ("user", "it still fails"),
        ("assistant", "Let me fix get() itself.\n\nFixed: expired entries are no longer returned."),
    ]
    # The slash command is the next prompt's command block, as in Gemini CLI's recordings.
    assert conversation.turns[0].blocks == [{"type": "command", "name": "/ide", "args": "install"}]
    assert conversation.turns[1].blocks is not None
    assert [
        (block["type"], block.get("name"), block.get("input"), block.get("content"), block.get("is_error"))
        for block in conversation.turns[1].blocks
        if block["type"] != "text"
    ] == [
        ("tool_use", "ReadFile", {"args": "cache.py"}, None, None),
        ("tool_use", "Shell", {"args": "pytest -k expiry (Run the test)"}, None, None),
        ("tool_result", None, None, "1 failed, 3 passed in 0.41s", True),
    ]
    edit = conversation.turns[3].blocks or []
    assert [block["type"] for block in edit] == ["text", "tool_use", "tool_result", "text"]
    assert edit[2]["content"] == (
        "41   entry = self._store.get(key)\n42 - return entry.value\n42 + if entry.expired(): return None"
    )
    # The banner, the notice, the `Using:` line, the input box and the status bar are no turns.
    assert conversation.dropped == {"notice": 1, "prompt box": 1}


def test_a_markdown_log_with_one_pasted_prompt_box_is_no_terminal_copy() -> None:
    log = """\
# Conversation Log

### User
why does the cache never expire?

### Model
✦ get() never compares the ttl with the clock.

╭──────────────────────────────╮
│  > and how do I test that?  │
╰──────────────────────────────╯
"""
    assert detect_format(log.encode(), "log.txt") != "gemini-tui"
