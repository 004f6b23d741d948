"""Mistral Le Chat export: `chat-<uuid>.json`, a bare array of messages out of order, and `chat-<uuid>-files/`.

The fixture (tests/fixtures/real_formats/le_chat/) is written by hand in the shape third-party converters read
(nexus-ai-chat-importer's `lechat-types.ts` and its tests): messages out of order, a web search tool call with
its result and a reference, streamed text chunks, a custom element and an attached image.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

TIMES = "\N{MULTIPLICATION SIGN}"
ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "le_chat"
CHAT = ROOT / "chat-5f0d7a3e-1c2b-4d9e-8f7a-6b5c4d3e2f1a.json"
CHAT_ID = "5f0d7a3e-1c2b-4d9e-8f7a-6b5c4d3e2f1a"


def _messages() -> list[dict]:
    return json.loads(CHAT.read_bytes())


def test_the_chat_is_detected_by_content() -> None:
    assert detect_format(CHAT.read_bytes()[:65536], "export.json") == "le-chat"
    messages = _messages()
    messages[0]["content"] = "word " * 20_000
    data = json.dumps(messages, indent=2).encode()
    assert len(data) > 65536
    assert detect_format(data[:65536], "export.json") == "le-chat"


def test_other_message_arrays_are_not_taken_for_le_chat() -> None:
    openai = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}]
    assert detect_format(json.dumps(openai).encode(), "data.json") == "openai"


def test_messages_are_sorted_by_time_and_chunks_are_blocks() -> None:
    conversation = parse_one("le-chat", CHAT.read_bytes(), CHAT.name)
    assert turns(conversation) == [
        ("user", "Is 91 prime? Check the web if needed."),
        ("assistant", "Yes, 91 is prime."),
        ("user", f"That's wrong: 7 {TIMES} 13 = 91."),
        ("assistant", f"You're right — 91 = 7 {TIMES} 13, so 91 is not prime."),
    ]
    assert (conversation.external_id, conversation.title) == (
        CHAT_ID,
        "Is 91 prime? Check the web if needed.",
    )
    assert conversation.turns[1].blocks == [
        {"type": "tool_use", "id": "call_1", "name": "web_search", "input": "91 prime number"},
        {
            "type": "tool_result",
            "tool_use_id": "call_1",
            "content": f"91 = 7 {TIMES} 13 (Wikipedia: 91 (number))",
            "is_error": False,
        },
        {"type": "text", "text": "Yes, 91 is prime."},
    ]
    # The streamed text chunks are one text; the reference, the custom element and the image are dropped.
    assert conversation.turns[3].blocks is None
    assert conversation.dropped == {"reference": 1, "custom_element": 1, "image": 1}


def test_the_id_falls_back_to_the_file_name_then_a_hash() -> None:
    messages = _messages()
    for message in messages:
        del message["chatId"]
    data = json.dumps(messages).encode()
    assert parse_one("le-chat", data, f"export/{CHAT.name}").external_id == CHAT_ID
    hashed = parse_one("le-chat", data, "chat.json").external_id
    assert hashed.startswith("le-chat-")
    assert hashed == parse_one("le-chat", data, "other.json").external_id


def test_regenerated_answers_keep_the_newest_and_versions_the_highest() -> None:
    messages = _messages()
    first = next(m for m in messages if m["id"] == "9c1e-0002")
    messages.append(
        {
            **first,
            "id": "9c1e-0002b",
            "createdAt": "2025-09-19T16:18:40.000Z",
            "contentChunks": None,
            "content": "Let me check again: 91 is prime.",
        }
    )
    messages.append(
        {**first, "version": 1, "contentChunks": None, "content": "91 is prime, as far as I know."}
    )
    conversation = parse_one("le-chat", json.dumps(messages).encode(), CHAT.name)
    assert turns(conversation)[1] == ("assistant", "Let me check again: 91 is prime.")
    assert conversation.metadata == {"regenerated_responses": 1}


def test_bad_messages_are_named_by_their_path() -> None:
    messages = _messages()
    messages[1]["role"] = "system"
    messages[2]["content"] = 5
    conversations, errors = parse("le-chat", json.dumps(messages, indent=2).encode(), CHAT.name)
    assert len(conversations) == 1
    assert errors_of(errors) == [
        (None, "$[1]", 'role: expected "user" or "assistant", got "system"'),
        (None, "$[2]", "content: expected the text, got a number"),
    ]


def test_a_chat_without_an_answer_is_skipped() -> None:
    messages = [m for m in _messages() if m["role"] == "user"]
    results = list(get_importer("le-chat").parse(io.BytesIO(json.dumps(messages).encode()), CHAT.name))
    assert results == [Skipped("Le Chat chat without an answer")]


def test_the_export_imports_once_and_skips_its_files(engine: Engine, tmp_path: Path) -> None:
    shutil.copytree(ROOT, tmp_path / "export")
    (tmp_path / "export" / f"chat-{CHAT_ID}-files" / "notes.md").write_text("## User\nnot a chat\n")
    summary = run_import(engine, paths=[tmp_path / "export"])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    # The image is left out by the folder walk; other attachments are skipped with a reason.
    assert dict(summary.skipped) == {"Le Chat export attachment": 1}
    again = run_import(engine, paths=[tmp_path / "export"])
    assert (again.conversations_added, again.duplicates) == (0, 1)
