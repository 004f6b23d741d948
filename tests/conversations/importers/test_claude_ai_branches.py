"""Claude.ai's export keeps every edited prompt and retried answer in one flat `chat_messages` list, each message
naming its `parent_message_uuid`; the conversation is the branch of the most recent leaf (written here by hand in
that shape: an edit, a retry listed after the answer it was replaced by, links that lead outside the chat)."""

from __future__ import annotations

import io
import json
from typing import Any

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped

from .helpers import parse_one, turns

ROOT = "00000000-0000-4000-8000-000000000000"


def _message(uuid: str, parent: str, sender: str, text: str, created: str) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "parent_message_uuid": parent,
        "sender": sender,
        "text": text,
        "content": [{"type": "text", "text": text}],
        "created_at": created,
        "updated_at": created,
        "attachments": [],
        "files": [],
    }


def _chat(messages: list[dict[str, Any]]) -> ParsedConversation:
    data = json.dumps([{"uuid": "c1", "name": "Tabs", "chat_messages": messages}]).encode()
    return parse_one("claude-ai", data, "conversations.json")


def test_the_branch_of_the_latest_leaf_is_the_conversation() -> None:
    chat = _chat(
        [
            _message("u1", ROOT, "human", "Tabs or spaces in Python?", "2025-01-01T10:00:00Z"),
            _message("a1", "u1", "assistant", "Tabs.", "2025-01-01T10:00:05Z"),
            # The first follow-up, then edited into the second: both stay in the list.
            _message("u2", "a1", "human", "ok", "2025-01-01T10:01:00Z"),
            _message("a2", "u2", "assistant", "Great.", "2025-01-01T10:01:03Z"),
            _message("u3", "a1", "human", "That's wrong, PEP 8 says spaces.", "2025-01-01T10:02:00Z"),
            _message(
                "a4", "u3", "assistant", "You're right: PEP 8 asks for 4 spaces.", "2025-01-01T10:03:10Z"
            ),
            # A retry replaced by a4 but listed after it.
            _message("a3", "u3", "assistant", "Either is fine.", "2025-01-01T10:02:04Z"),
        ]
    )
    assert turns(chat) == [
        ("user", "Tabs or spaces in Python?"),
        ("assistant", "Tabs."),
        ("user", "That's wrong, PEP 8 says spaces."),
        ("assistant", "You're right: PEP 8 asks for 4 spaces."),
    ]
    assert chat.metadata["other_branch_messages"] == 3


def test_a_chat_without_links_or_with_links_outside_it_reads_in_order() -> None:
    plain = [_message(f"m{i}", ROOT, s, t, f"2025-01-01T10:0{i}:00Z") for i, (s, t) in enumerate(
        [("human", "Hi"), ("assistant", "Hello!"), ("human", "Bye"), ("assistant", "Bye!")]
    )]  # fmt: skip
    for message in plain:
        del message["parent_message_uuid"]
    assert [t.text for t in _chat(plain).turns] == ["Hi", "Hello!", "Bye", "Bye!"]
    outside = [dict(m, parent_message_uuid="elsewhere") for m in plain]
    chat = _chat(outside)
    assert [t.text for t in chat.turns] == ["Hi", "Hello!", "Bye", "Bye!"]
    assert "other_branch_messages" not in chat.metadata


def test_an_exporters_list_of_chats_without_messages_is_skipped() -> None:
    """The Claude Exporter extension's "Export all" saves the chat list as the API returns it: metadata only."""
    listed = [
        {
            "uuid": "9c2f4e61-7a3b-4d85-b0e9-2f6a1c8d3e57",
            "name": "Sourdough timing",
            "summary": "",
            "model": "claude-sonnet-4-5-20250929",
            "created_at": "2025-10-01T07:12:44.118204Z",
            "updated_at": "2025-10-01T07:20:03.550917Z",
            "settings": {"enabled_web_search": True},
            "is_starred": False,
            "is_temporary": False,
            "project_uuid": None,
            "current_leaf_message_uuid": "0199a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b",
        }
    ]
    data = json.dumps(listed, indent=2).encode()
    assert detect_format(data, "claude-exports-20251001-092011.json") == "claude-ai"
    assert list(get_importer("claude-ai").parse(io.BytesIO(data), "claude-exports.json")) == [
        Skipped("Claude.ai chat listed without its messages (an exporter's list of chats)")
    ]


def test_a_retry_that_came_back_empty_does_not_hide_the_answer() -> None:
    """Two answers to one prompt at the same second, the later listed one empty (a retry that returned nothing):
    the chat is the prompt and the answer that holds words, the empty one another branch."""
    empty = _message("a2", "u1", "assistant", "", "2025-01-01T10:00:05Z")
    empty["content"] = []
    chat = _chat(
        [
            _message("u1", ROOT, "human", "Pick a board game for four players.", "2025-01-01T10:00:00Z"),
            _message("a1", "u1", "assistant", "Try Ticket to Ride.", "2025-01-01T10:00:05Z"),
            empty,
        ]
    )
    assert turns(chat) == [
        ("user", "Pick a board game for four players."),
        ("assistant", "Try Ticket to Ride."),
    ]
    assert chat.metadata["other_branch_messages"] == 1


def test_a_null_in_the_message_list_is_left_out_and_counted() -> None:
    chat = _chat(
        [
            None,  # type: ignore[list-item]  # deliberate: a real export held one
            _message("u1", ROOT, "human", "Is 7 prime?", "2025-01-01T10:00:00Z"),
            _message("a1", "u1", "assistant", "Yes.", "2025-01-01T10:00:02Z"),
        ]
    )
    assert turns(chat) == [("user", "Is 7 prime?"), ("assistant", "Yes.")]
    assert chat.dropped == {"empty message entry": 1}


def test_a_chat_whose_messages_are_all_empty_is_skipped_as_empty() -> None:
    blank = [
        _message("u1", ROOT, "human", "", "2025-01-01T10:00:00Z"),
        _message("a1", "u1", "assistant", "", "2025-01-01T10:00:02Z"),
    ]
    data = json.dumps([{"uuid": "c1", "name": "", "chat_messages": blank}]).encode()
    assert list(get_importer("claude-ai").parse(io.BytesIO(data), "conversations.json")) == [
        Skipped("empty conversation")
    ]
