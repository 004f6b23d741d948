"""HuggingChat (chat-ui) data export: `conversations.json` of `export.zip`, each conversation a message tree.

The fixture (tests/fixtures/real_formats/huggingchat/export/) is written by hand in the shape of chat-ui's
exporter (`/api/v2/export`: two-space indents, `_id` as a hex string, ISO dates, every message's `files` the names
of all the conversation's files) and its types: a retried answer, an edited prompt, a retry of the first answer
written after later turns, reasoning and a `<think>` section, files, the placeholder title "New Chat", a
conversation from before the tree and one nobody answered; beside it `assistants.json` and an attachment.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.files import not_conversation_reason
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "huggingchat" / "export"
CONVERSATIONS = ROOT / "conversations.json"


def _export() -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = json.loads(CONVERSATIONS.read_bytes())
    return value


def _by_id(data: bytes) -> dict[str, Any]:
    conversations, errors = parse("huggingchat", data, "conversations.json")
    assert errors == []
    return {conversation.external_id: conversation for conversation in conversations}


def test_the_export_is_detected_by_content_even_under_chatgpts_file_name() -> None:
    # `conversations.json` is the name ChatGPT's export uses too: the content decides.
    assert detect_format(CONVERSATIONS.read_bytes()[:65536], "conversations.json") == "huggingchat"
    export = _export()
    export[0]["messages"][1]["content"] = "word " * 20_000
    for data in (json.dumps(export).encode(), json.dumps(export, indent=2).encode()):
        assert len(data) > 65536
        assert detect_format(data[:65536], "conversations.json") == "huggingchat"
    # One conversation as a bare object.
    assert detect_format(json.dumps(_export()[1]).encode(), "conversation.json") == "huggingchat"


def test_openai_and_sharegpt_records_are_not_taken_for_huggingchat() -> None:
    openai = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert detect_format(json.dumps(openai).encode() + b"\n", "data.jsonl") == "openai"
    assert detect_format(json.dumps([openai]).encode(), "conversations.json") != "huggingchat"
    sharegpt = {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
    assert detect_format(json.dumps(sharegpt).encode() + b"\n", "data.jsonl") == "sharegpt"
    # `from` roles alone, without chat-ui's keys, are not enough.
    bare = {"messages": [{"from": "user", "content": "hi"}, {"from": "assistant", "content": "hello"}]}
    assert detect_format(json.dumps(bare).encode() + b"\n", "data.jsonl") != "huggingchat"


def test_the_thread_shown_follows_the_last_message() -> None:
    by_id = _by_id(CONVERSATIONS.read_bytes())
    assert list(by_id) == [
        "6729f0a1b2c3d4e5f6a7b8c9",
        "6729f0a1b2c3d4e5f6a7b8ca",
        "6729f0a1b2c3d4e5f6a7b8cb",
        "674f1a2b3c4d5e6f70819203",
        "648469b0c1d2e3f4a5b6c7d8",
    ]
    bones = by_id["6729f0a1b2c3d4e5f6a7b8c9"]
    assert turns(bones) == [
        ("user", "How many bones does an adult human have?"),
        ("assistant", "An adult human has about 300 bones."),
        ("user", "No, that's the count for a newborn. Adults have fewer because bones fuse."),
        ("assistant", "Right: an adult has 206 bones, as many of a newborn's ~300 fuse."),
    ]
    assert (bones.title, bones.system_prompt, bones.json_path) == (
        "Bones in the human body",
        "Answer in at most two sentences.",
        "$[0]",
    )
    assert bones.metadata == {
        "model": "Qwen/Qwen2.5-72B-Instruct",
        "created_at": "2024-11-05T09:00:00.000Z",
        "regenerated_responses": 1,
    }
    # An edited prompt: the edit and its answer.
    assert turns(by_id["6729f0a1b2c3d4e5f6a7b8ca"]) == [
        ("user", "Translate 'good morning' to Italian."),
        ("assistant", "Buongiorno."),
    ]
    # A retry of the first answer written last: the turns under the older answer are not shown.
    primes = by_id["6729f0a1b2c3d4e5f6a7b8cb"]
    assert turns(primes) == [
        ("user", "Name a prime number between 20 and 30."),
        ("assistant", "23 and 29 are the primes between 20 and 30."),
    ]
    assert primes.metadata["assistantId"] == "66b1c2d3e4f5a6b7c8d9e0f1"
    assert primes.metadata["regenerated_responses"] == 2


def test_reasoning_files_placeholder_title_and_a_conversation_before_the_tree() -> None:
    by_id = _by_id(CONVERSATIONS.read_bytes())
    chart = by_id["674f1a2b3c4d5e6f70819203"]
    assert chart.title == "What does the chart in this image show, and does the CSV agree?"
    assert chart.turns[1].blocks == [
        {
            "type": "thinking",
            "thinking": "Read the axis labels first.\n\nThe chart's bars rise each quarter; the CSV has the same numbers.",
        },
        {"type": "text", "text": "Sales rise every quarter, and the CSV matches the chart."},
    ]
    # Both messages list both files: each is counted once.
    assert chart.dropped == {"image": 1, "file": 1}
    haiku = by_id["648469b0c1d2e3f4a5b6c7d8"]
    assert turns(haiku) == [
        ("user", "Give me a haiku about rain."),
        ("assistant", "Soft rain on the roof\nthe gutters hum their one note\nnight drinks the garden"),
    ]
    results = list(
        get_importer("huggingchat").parse(io.BytesIO(CONVERSATIONS.read_bytes()), "conversations.json")
    )
    assert results[-1] == Skipped("HuggingChat conversation without an answer")


def test_a_preprompt_without_a_system_message_is_the_system_prompt() -> None:
    conversation = _export()[1]
    conversation["preprompt"] = "Reply in one word."
    conversation["_id"] = {"$oid": "6729f0a1b2c3d4e5f6a7b8ff"}
    parsed = parse_one("huggingchat", json.dumps(conversation).encode(), "conversation.json")
    assert (parsed.system_prompt, parsed.external_id) == ("Reply in one word.", "6729f0a1b2c3d4e5f6a7b8ff")


def test_bad_conversations_are_named_by_their_path_and_the_rest_imports() -> None:
    export = _export()
    export[0]["messages"][2]["from"] = "tool"
    export[2]["messages"][1]["content"] = None
    export[3]["messages"] = "gone"
    conversations, errors = parse("huggingchat", json.dumps(export, indent=2).encode(), "conversations.json")
    assert [conversation.external_id for conversation in conversations] == [
        "6729f0a1b2c3d4e5f6a7b8ca",
        "648469b0c1d2e3f4a5b6c7d8",
    ]
    assert errors_of(errors) == [
        (None, "$[0]", 'messages[2].from: expected system, user or assistant, got "tool"'),
        (None, "$[2]", "messages[1].content: expected the text, got null"),
        (None, "$[3]", "messages: expected a list, got a string"),
    ]
    with pytest.raises(FileFormatError, match="not JSON: the file starts with b'n'"):
        parse("huggingchat", b"not json at all\n", "conversations.json")


def test_the_export_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[CONVERSATIONS])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (5, 1, 0)
    assert dict(summary.skipped) == {"HuggingChat conversation without an answer": 1}
    assert dict(summary.dropped) == {"image": 1, "file": 1}
    again = run_import(engine, paths=[CONVERSATIONS])
    assert (again.conversations_added, again.duplicates) == (0, 5)


def test_the_exports_other_files_are_skipped_by_name(engine: Engine) -> None:
    assert not_conversation_reason("export.zip!assistants.json", 100) == (
        "HuggingChat export assistants, not conversations"
    )
    assert not_conversation_reason("export/file-674f1a2b3c4d5e6f70819203-1a2b3c4d.txt", 100) == (
        "HuggingChat export attachment"
    )
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.error_count) == (5, 0)
    assert dict(summary.skipped) == {
        "HuggingChat conversation without an answer": 1,
        "HuggingChat export assistants, not conversations": 1,
        "HuggingChat export attachment": 1,
    }
