# ruff: noqa: RUF001, RUF002 - Codex CLI draws the prompt mark as U+203A
"""OpenAI Codex CLI's terminal (TUI) view copied as text: written in the shape of real copies (thirteenth fetch: the
start box, `› ` prompts, `• ` answers, `• Ran` / `• Explored` / `• Edited` tool activity, `─ Worked for` rules, `■`
errors, `⚠` warnings, `✔` approvals and the `Model changed` notice)."""

from __future__ import annotations

from app.conversations.importers import detect_format

from .helpers import parse_one, turns

SESSION = """\
│                                              │
│ model:     gpt-5.5 high   /model to change    │
│ directory: ~/src/weather                     │
╰──────────────────────────────────────────────╯

  Tip: Use /compact to free up context.


› does the weather cache expire? check src/cache.py and tell me


• I'll read the cache module first, then check how the expiry is
  tested.

• Explored
  └ Read cache.py
    Search ttl in src

• Ran python -m pytest tests/test_cache.py -q
  │ -k expiry
  └ 1 failed, 3 passed in 0.41s
    … +12 lines (ctrl + t to view transcript)

• Waited for background terminal

────────────────────────────────────────────────────────────────────────────────

⚠ Skipped loading 1 skill(s) due to invalid SKILL.md files.

• No, entries never expire: get() ignores the ttl field.

  - set() stores the ttl
  - get() never compares it with the clock

─ Worked for 0m 42s ────────────────────────────────────────────────────────────


› fix it then


■ {"detail":"Bad Request"}


› fix it then


• Edited src/cache.py (+3 -1)
    41      entry = self._store.get(key)
    42 -    return entry.value
    42 +    if entry is None or entry.expired(time.monotonic()):
    43 +        return None
    44 +    return entry.value

✔ You approved codex to always run commands that start with pytest

• Ran python -m pytest tests/test_cache.py -q
  └ 4 passed in 0.38s
  get() now drops expired entries, and the expiry test passes.

■ {"detail":"Bad Request"}

• Model changed to gpt-5.5 xhigh


› thanks
"""


def test_a_codex_terminal_copy_is_detected_by_content() -> None:
    assert detect_format(SESSION.encode(), "session.txt") == "codex-tui"
    # Bullets and a quoted line alone are no Codex copy.
    assert detect_format("› a quote\n\n• a point\n• another\n".encode(), "notes.txt") != "codex-tui"


def test_prompts_answers_and_tool_activity() -> None:
    conversation = parse_one("codex-tui", SESSION.encode(), "session.txt")
    assert conversation.metadata == {"model": "gpt-5.5 high", "directory": "~/src/weather"}
    assert conversation.title == "does the weather cache expire? check src/cache.py and tell me"
    assert turns(conversation) == [
        ("user", "does the weather cache expire? check src/cache.py and tell me"),
        (
            "assistant",
            "I'll read the cache module first, then check how the expiry is\ntested.\n\n"
            "No, entries never expire: get() ignores the ttl field.\n\n"
            "- set() stores the ttl\n- get() never compares it with the clock",
        ),
        ("user", "fix it then"),
        ("assistant", "get() now drops expired entries, and the expiry test passes."),
        ("user", "thanks"),
    ]
    calls = [
        (block["type"], block.get("name"), block.get("input"), block.get("content"))
        for block in conversation.turns[1].blocks or []
        if block["type"] != "text"
    ]
    assert calls == [
        ("tool_use", "Explored", {"args": "Read cache.py\nSearch ttl in src"}, None),
        ("tool_use", "Ran", {"args": "python -m pytest tests/test_cache.py -q\n-k expiry"}, None),
        ("tool_result", None, None, "1 failed, 3 passed in 0.41s\n… +12 lines (ctrl + t to view transcript)"),
        ("tool_use", "Waited", {"args": "for background terminal"}, None),
    ]
    fix = conversation.turns[3].blocks or []
    assert [(block["type"], block.get("name")) for block in fix] == [
        ("tool_use", "Edited"),
        ("tool_result", None),
        ("tool_use", "Ran"),
        ("tool_result", None),
        ("text", None),
    ]
    assert fix[1]["content"].startswith("41      entry = self._store.get(key)\n42 -    return entry.value")
    # The failed request's prompt (sent again), the errors, the warning, the approval and the notice are no text.
    assert conversation.dropped == {"failed prompt": 1, "error": 2, "warning": 1, "approval": 1, "notice": 1}


def test_a_copy_that_opens_in_an_answer_and_ends_in_the_input_box() -> None:
    copy = """\

  # Cache expiry plan

  - Compare the ttl in get().
  - Add a test.


  Worked for 1m 05s · 09:12 AM


› Implement the plan.


• Done: get() checks the ttl.


› Find and fix a bug in @filename

  100% context left · ? for shortcuts
"""
    conversation = parse_one("codex-tui", copy.encode(), "plan.txt")
    assert turns(conversation) == [
        ("assistant", "# Cache expiry plan\n\n- Compare the ttl in get().\n- Add a test."),
        ("user", "Implement the plan."),
        ("assistant", "Done: get() checks the ttl."),
    ]
    assert conversation.title == "Implement the plan."
    assert conversation.dropped == {"prompt box": 1}
