"""Claude.ai exports as other tools write them: wrapped in an object (`{"conversations": [...]}`), and chats whose
reply was stopped or failed (only the person's message). Written by hand in the export's shape; ChatGPT's
unanswered chats are read the same way."""

from __future__ import annotations

import io
import json
from typing import Any

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped


def _chat(uuid: str, *messages: tuple[str, str]) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": f"Chat {uuid}",
        "created_at": "2026-03-01T10:00:00Z",
        "chat_messages": [
            {
                "sender": sender,
                "created_at": "2026-03-01T10:00:00Z",
                "content": [{"type": "text", "text": text}],
            }
            for sender, text in messages
        ],
    }


ANSWERED = _chat("c1", ("human", "Hello, Claude."), ("assistant", "Hello! What can I do for you?"))
UNANSWERED = _chat("c2", ("human", "Prove the parser terminates."))


def _results(data: bytes, fmt: str = "claude-ai") -> list[Any]:
    return list(get_importer(fmt).parse(io.BytesIO(data), "conversations.json"))


def test_an_export_wrapped_in_an_object_reads_each_conversation() -> None:
    padding = _chat("c0", ("human", "x" * 70_000), ("assistant", "A long one first, past the sniffed head."))
    for wrapped in (
        {"conversations": [ANSWERED, UNANSWERED]},
        {"exported_at": "2026-03-02", "conversations": [ANSWERED, UNANSWERED]},  # the array not first
        {"conversations": [padding, ANSWERED]},
    ):
        data = json.dumps(wrapped, indent=2).encode()
        assert detect_format(data[:65536], "conversations.json") == "claude-ai"
        results = _results(data)
        conversations = [r for r in results if isinstance(r, ParsedConversation)]
        assert [c.external_id for c in conversations][-1] == "c1"
        assert not [r for r in results if isinstance(r, RecordError)]
        if "exported_at" not in wrapped and UNANSWERED in wrapped["conversations"]:
            assert conversations[0].json_path == "$.conversations[0]"


def test_a_wrapped_item_that_is_not_a_conversation_is_an_error_naming_it() -> None:
    results = _results(json.dumps({"conversations": [ANSWERED, ["not", "a", "chat"]]}).encode())
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [(e.json_path, e.reason) for e in errors] == [
        ("$.conversations[1]", "expected a Claude.ai conversation, got a list")
    ]


def test_a_chat_without_an_answer_is_skipped_with_its_reason_not_an_error() -> None:
    results = _results(json.dumps([ANSWERED, UNANSWERED, _chat("c3")]).encode())
    assert [type(r).__name__ for r in results] == ["ParsedConversation", "Skipped", "Skipped"]
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Claude.ai chat without an answer",
        "empty conversation",
    ]
    # An answer without the person's message is still an error: that is no chat a person had.
    orphan = _chat("c4", ("assistant", "Hello!"))
    (error,) = _results(json.dumps([orphan]).encode())
    assert isinstance(error, RecordError)


def test_a_chatgpt_conversation_without_an_answer_is_skipped() -> None:
    mapping = {
        "root": {"id": "root", "message": None, "parent": None, "children": ["u1"]},
        "u1": {
            "id": "u1",
            "parent": "root",
            "children": [],
            "message": {
                "id": "u1",
                "author": {"role": "user"},
                "content": {"content_type": "text", "parts": ["Summarise this PDF"]},
                "recipient": "all",
            },
        },
    }
    record = {"title": "Stopped", "mapping": mapping, "current_node": "u1", "id": "g1"}
    (result,) = _results(json.dumps([record]).encode(), "chatgpt")
    assert isinstance(result, Skipped)
    assert result.reason == "ChatGPT conversation without an answer"
