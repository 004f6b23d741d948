"""LibreChat conversation exports: recursive (messagesTree) and sequential, with branches and agent parts.

The fixtures (tests/fixtures/real_formats/librechat/) are written by hand in the shape LibreChat's export
dialog writes (`useExportConversation`): the recursive one with every branch, an agent answer whose `text`
is empty and whose words are `content` parts, and an error message; the sequential one flat.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "librechat"
RECURSIVE = FOLDER / "librechat-export-recursive.json"
SEQUENTIAL = FOLDER / "librechat-export-sequential.json"


def test_both_exports_are_detected_and_not_taken_for_openai() -> None:
    for path in (RECURSIVE, SEQUENTIAL):
        assert detect_format(path.read_bytes()[:65536], "export.json") == "librechat"


def test_a_long_first_message_is_still_detected() -> None:
    export = json.loads(SEQUENTIAL.read_bytes())
    export["messages"][0]["text"] = "word " * 20_000
    head = json.dumps(export).encode()
    assert len(head) > 65536
    assert detect_format(head[:65536], "export.json") == "librechat"


def test_the_thread_ends_at_the_newest_answer_and_other_branches_are_not_turns() -> None:
    conversation = parse_one("librechat", RECURSIVE.read_bytes(), RECURSIVE.name)
    assert turns(conversation) == [
        ("user", "How do I undo the last git commit but keep the changes?"),
        ("assistant", "Use `git reset --soft HEAD~1`: the commit goes, the changes stay staged."),
        ("user", "I don't want them staged either, just in the working tree."),
        (
            "assistant",
            "Then use `git reset HEAD~1` (the default --mixed): the changes stay in the working tree, unstaged.",
        ),
    ]
    everything = json.dumps([(t.text, t.blocks) for t in conversation.turns])
    assert "--hard HEAD~1`" not in everything  # the older answer to the first prompt
    assert "rate limit" not in everything  # the error message
    assert conversation.external_id == "6e4f0c2a-9b1d-4e7a-8c3f-2d5b7a9e1c04"
    assert conversation.title == "Undo last git commit"
    assert conversation.metadata == {"endpoint": "openAI", "models": ["gpt-4o"], "other_branch_messages": 2}


def test_an_agent_answer_is_its_content_parts() -> None:
    conversation = parse_one("librechat", RECURSIVE.read_bytes(), RECURSIVE.name)
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "The user wants to keep the changes, so not --hard."},
        {"type": "tool_use", "id": "call_k1", "name": "run_shell", "input": {"cmd": "git log --oneline -1"}},
        {"type": "tool_result", "tool_use_id": "call_k1", "content": "4be1c0d Add parser", "is_error": False},
        {"type": "text", "text": "Use `git reset --soft HEAD~1`: the commit goes, the changes stay staged."},
    ]


def test_a_sequential_export_follows_the_parent_ids() -> None:
    export = json.loads(SEQUENTIAL.read_bytes())
    # A regenerated answer written later in the file, to the same prompt, ends the thread instead.
    export["messages"].append(
        {
            **export["messages"][1],
            "messageId": "s3",
            "text": "Ottawa, in Ontario.",
            "createdAt": "2025-04-01T09:05:00Z",
        }
    )
    conversation = parse_one("librechat", json.dumps(export).encode(), SEQUENTIAL.name)
    assert turns(conversation) == [("user", "Capital of Canada?"), ("assistant", "Ottawa, in Ontario.")]


def test_a_bad_message_is_named_and_a_cycle_ends_the_walk() -> None:
    export = json.loads(RECURSIVE.read_bytes())
    export["messagesTree"][0]["children"][1]["children"][0] = ["not", "a", "message"]
    _, errors = parse("librechat", json.dumps(export).encode(), RECURSIVE.name)
    assert errors_of(errors) == [
        (1, None, "messagesTree[0].children[1].children[0]: expected an object, got a list")
    ]
    looped = json.loads(SEQUENTIAL.read_bytes())
    looped["messages"][0]["parentMessageId"] = "s2"
    _, errors = parse("librechat", json.dumps(looped).encode(), SEQUENTIAL.name)
    assert errors_of(errors) == [
        (1, None, "messages: every message is another's parent (the parentMessageId links loop)")
    ]
    # A leaf whose ancestors loop: the walk stops where it comes back.
    looped["messages"].append({**looped["messages"][1], "messageId": "s3", "text": "Ottawa, Ontario."})
    conversations, errors = parse("librechat", json.dumps(looped).encode(), SEQUENTIAL.name)
    assert errors == []
    assert [role for role, _ in turns(conversations[0])] == ["assistant", "user", "assistant"]


def test_a_librechat_folder_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[FOLDER])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert {report["format"] for report in summary.file_reports} == {"librechat"}
    again = run_import(engine, paths=[FOLDER])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_the_conversations_custom_instructions_are_its_system_prompt() -> None:
    """LibreChat's own import fixtures carry `options.promptPrefix`, sent to the model before the messages."""
    record = {
        "conversationId": "c-9",
        "endpoint": "openAI",
        "recursive": True,
        "options": {"promptPrefix": "You are a terse SQL reviewer.", "model": "gpt-4o"},
        "messagesTree": [
            {
                "messageId": "m1",
                "text": "Is SELECT * fine here?",
                "isCreatedByUser": True,
                "children": [{"messageId": "m2", "text": "No: name the columns.", "isCreatedByUser": False}],
            }
        ],
    }
    (conversation,), _ = parse("librechat", json.dumps(record).encode(), "export.json")
    assert conversation.system_prompt == "You are a terse SQL reviewer."
    assert "other_branch_messages" not in conversation.metadata
