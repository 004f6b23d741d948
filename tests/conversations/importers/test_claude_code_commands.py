"""Claude Code slash commands and IDE/shell wrappers (fixture written by hand from the session format)."""

from __future__ import annotations

from pathlib import Path

from .helpers import parse_one

PROJECT = (
    Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "claude_projects" / "-home-dev-app"
)
SESSION = PROJECT / "7f3e0c1a-0000-4000-8000-000000000001.jsonl"


def test_commands_keep_their_expanded_prompt_and_wrappers_become_context() -> None:
    conversation = parse_one("claude-code", SESSION.read_bytes(), str(SESSION))
    got = [
        (t.role, t.text, [(b["type"], b.get("tag") or b.get("name")) for b in t.blocks or []])
        for t in conversation.turns
    ]
    assert got == [
        (
            "user",
            "Please analyze this codebase and create a CLAUDE.md file describing how to build and test it.",
            [("command", "/init")],
        ),
        ("assistant", "I created CLAUDE.md with the build and test commands.", []),
        (
            "user",
            "Why does main() never return?",
            [("context", "ide_opened_file"), ("context", "ide_selection"), ("context", "system-reminder")],
        ),
        ("assistant", "Because run() loops forever.", []),
        (
            "user",
            "That's wrong, run() returns after the first failure. Check the test output above.",
            [("context", "bash-input"), ("context", "bash-stdout"), ("context", "bash-stderr")],
        ),
        (
            "assistant",
            "You're right: run() returns on failure; the test fails because of a missing fixture.",
            [],
        ),
        (
            "user",
            "Review src/main.py for error handling and list concrete problems.",
            [("command", "/review")],
        ),
        ("assistant", "1. run() swallows KeyboardInterrupt.", []),
    ]
    assert conversation.turns[6].blocks == [{"type": "command", "name": "/review", "args": "src/main.py"}]
    assert conversation.turns[4].blocks is not None
    assert conversation.turns[4].blocks[1]["text"] == "1 failed, 3 passed"
    # The trailing /cost output has no typed prompt to go with: counted, not silently lost.
    assert conversation.dropped == {"context": 1}
    # The title is the command's prompt, never a wrapper.
    assert conversation.title is not None
    assert conversation.title.startswith("Please analyze this codebase")


def test_a_prompt_that_is_only_wrappers_never_becomes_the_title() -> None:
    session = (
        b'{"type":"user","sessionId":"s","uuid":"a","parentUuid":null,"timestamp":"1",'
        b'"message":{"role":"user","content":"<ide_opened_file>The user opened /x.py</ide_opened_file>Fix it"}}\n'
        b'{"type":"assistant","sessionId":"s","uuid":"b","parentUuid":"a","timestamp":"2",'
        b'"message":{"role":"assistant","content":[{"type":"text","text":"Fixed."}]}}\n'
    )
    conversation = parse_one("claude-code", session, "s.jsonl")
    assert conversation.title == "Fix it"
    assert conversation.turns[0].text == "Fix it"
