"""big-AGI: the "Backup all chats" file (minified) and a single chat's export (pretty-printed).

The fixtures (tests/fixtures/real_formats/big_agi/) are written by hand in the shape of big-AGI's own types
(`chats.converters.ts` `DataAtRestV1`, `chat.message.ts`, `chat.fragments.ts`): a backup of fragment messages
(reasoning, a tool call and its response, a pasted text and an image attached, a quoted reply, citations, a
placeholder, an error, an empty chat) with its models and folders, a single chat with Gemini's code execution, and
a 2023 backup of text messages.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "big_agi"
BACKUP = ROOT / "backup_chats_localhost_4_2025-03-14-0917.agi.json"
SINGLE = ROOT / "conversation_miles-to-kilometres_2025-03-14-0918.agi.json"
OLD = ROOT / "conversations-2023-08-20-102233.json"
NO_TALK = Skipped("big-AGI chat without a prompt and an answer")


def _load(path: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(path.read_bytes())
    return value


def _results(data: bytes, name: str = "backup.agi.json") -> list[Any]:
    return list(get_importer("big-agi").parse(io.BytesIO(data), name))


def test_backups_and_single_chats_are_detected_by_content() -> None:
    for path in (BACKUP, SINGLE, OLD):
        assert detect_format(path.read_bytes()[:65536], "export.json") == "big-agi"
    # Indented and minified, with the first message longer than the head.
    backup, chat, old = _load(BACKUP), _load(SINGLE), _load(OLD)
    backup["conversations"][0]["messages"][0]["fragments"][0]["part"]["text"] = "word " * 20_000
    chat["messages"][0]["fragments"][0]["part"]["text"] = "word " * 20_000
    old["conversations"][0]["messages"][1]["text"] = "word " * 20_000
    for value in (backup, chat, old):
        for data in (json.dumps(value).encode(), json.dumps(value, indent=2).encode()):
            assert len(data) > 65536
            assert detect_format(data[:65536], "export.json") == "big-agi"
    # An empty chat, an empty backup.
    empty = {"id": "x", "messages": [], "systemPurposeId": "Generic", "created": 1, "updated": None}
    assert detect_format(json.dumps(empty).encode(), "x.json") == "big-agi"
    assert detect_format(b'{"conversations": [], "models": {"sources": []}}', "x.json") == "big-agi"


def test_other_formats_are_not_taken_for_big_agi() -> None:
    openai = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    assert detect_format(json.dumps(openai).encode(), "x.json") == "openai"
    sharegpt = {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}
    assert detect_format(json.dumps(sharegpt).encode() + b"\n", "x.jsonl") == "sharegpt"
    assert not get_importer("big-agi").sniff(b'{"conversations": [{"id": "a", "messages": []}]}', "x.json")


def test_a_backup_reads_its_chats_fragments_and_all() -> None:
    math, haiku, empty, failed = _results(BACKUP.read_bytes(), str(BACKUP))
    assert isinstance(math, ParsedConversation)
    assert turns(math) == [
        ("user", "Which is larger, 9.11 or 9.9?"),
        ("assistant", "9.11 is larger than 9.9."),
        ("user", "No, 9.9 is larger: 0.90 is more than 0.11."),
        ("assistant", "You're right: 9.9 - 9.11 = 0.79, so 9.9 is larger."),
    ]
    assert (math.external_id, math.title, math.json_path) == (
        "b7e1c0de-2f4a-4c3b-8e9d-1a2b3c4d5e6f",
        "Comparing 9.11 and 9.9",
        "$.conversations[0]",
    )
    assert (math.system_prompt or "").startswith("You are an AI assistant.\nKnowledge cutoff: 2024-10")
    assert math.metadata == {
        "persona": "Developer",
        "created": 1741939799000,
        "models": ["claude-3-7-sonnet-20250219"],
    }
    # The pasted text is context of the prompt, the image dropped; reasoning is a thinking block.
    assert math.turns[0].blocks == [
        {"type": "context", "tag": "attachment", "text": "9.11\n9.9", "name": "numbers.txt"}
    ]
    assert math.dropped == {"image": 1}
    assert math.turns[1].blocks == [
        {"type": "thinking", "thinking": "Compare the decimals digit by digit."},
        {"type": "text", "text": "9.11 is larger than 9.9."},
    ]
    assert math.turns[2].blocks == [
        {"type": "context", "tag": "reference", "text": "9.11 is larger than 9.9."}
    ]
    call, result, text = math.turns[3].blocks or []
    assert call == {
        "type": "tool_use",
        "id": "call_1",
        "name": "calculator",
        "input": {"expression": "9.9 - 9.11"},
    }
    assert result == {"type": "tool_result", "tool_use_id": "call_1", "content": "0.79", "is_error": False}
    assert text["type"] == "text"
    # The user's title wins over big-AGI's; a generated image is dropped, the placeholder left out.
    assert isinstance(haiku, ParsedConversation)
    assert (haiku.title, haiku.metadata["models"], haiku.dropped) == (
        "Autumn haiku",
        ["gpt-4o"],
        {"image": 1},
    )
    assert haiku.turns[1].blocks is None
    # A chat with only its system message, and one whose only answer is big-AGI's error notice.
    assert (empty, failed) == (NO_TALK, NO_TALK)


def test_a_single_chat_reads_code_execution_as_a_tool_call() -> None:
    chat = parse_one("big-agi", SINGLE.read_bytes(), str(SINGLE))
    assert (chat.external_id, chat.title, chat.system_prompt, chat.json_path) == (
        "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
        "Miles to kilometres",
        "You are a concise science tutor.",
        "$",
    )
    assert chat.metadata["models"] == ["gemini-2.0-flash"]
    call, result, _ = chat.turns[3].blocks or []
    assert (call["name"], call["input"]) == (
        "code_execution",
        {"language": "PYTHON", "code": "print(5 * 1609.344)"},
    )
    assert (result["content"], result["is_error"]) == ("8046.72\n", False)


def test_a_2023_backup_reads_text_messages() -> None:
    capital, prime = _results(OLD.read_bytes(), str(OLD))
    assert isinstance(capital, ParsedConversation)
    assert isinstance(prime, ParsedConversation)
    assert turns(capital)[2:] == [
        ("user", "That's not right, it's Canberra."),
        ("assistant", "You're correct, the capital of Australia is Canberra."),
    ]
    assert capital.turns[2].blocks == [{"type": "context", "tag": "reference", "text": "Sydney"}]
    assert (capital.title, capital.metadata["models"]) == ("Australia's capital", ["gpt-4"])
    assert (prime.title, prime.metadata["models"]) == ("Prime above 100", ["gpt-3.5-turbo"])


def test_a_backup_whose_chats_come_later_is_read_whole() -> None:
    old = _load(OLD)
    reordered = {"models": old["models"], "conversations": old["conversations"]}
    conversations, errors = parse("big-agi", json.dumps(reordered, indent=2).encode(), "backup.json")
    assert errors == []
    assert [c.json_path for c in conversations] == ["$.conversations[0]", "$.conversations[1]"]
    data = b'{"models": {"sources": []}, "conversations": []}'
    assert _results(data) == [Skipped("big-AGI backup without chats")]
    assert _results(b'{"models": {}, "conversations": 3}') == [
        RecordError("conversations: expected the list of chats of a big-AGI backup, got a number", line=1)
    ]
    assert _results(b'{"conversations": [], "models": {"sources": []}}') == [
        Skipped("big-AGI backup without chats")
    ]


def test_bad_messages_are_named_by_their_path_and_the_other_chats_import() -> None:
    backup = _load(BACKUP)
    backup["conversations"][0]["messages"][3]["role"] = "tool"
    del backup["conversations"][1]["messages"][1]["fragments"]
    conversations, errors = parse("big-agi", json.dumps(backup).encode(), BACKUP.name)
    assert conversations == []
    assert errors_of(errors) == [
        (
            None,
            "$.conversations[0]",
            'messages[3].role: expected "user", "assistant" or "system", got "tool"',
        ),
        (
            None,
            "$.conversations[1]",
            "messages[1]: expected its fragments (or the text of an older chat), got neither",
        ),
    ]
    # A cut backup keeps the chats before the cut.
    data = BACKUP.read_bytes()
    conversations, errors = parse("big-agi", data[: data.index(b"0f9e8d7c") + 200], BACKUP.name)
    assert [c.title for c in conversations] == ["Comparing 9.11 and 9.9"]
    assert errors_of(errors) == [(None, "$.conversations[1]", "file ends inside this record")]


def test_a_file_that_is_not_json_is_a_clear_error() -> None:
    with pytest.raises(FileFormatError, match="not JSON"):
        _results(b"conversations: []\n")


def test_the_chats_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.error_count) == (5, 0)
    assert summary.pairs_detected == 2
    assert dict(summary.skipped) == {NO_TALK.reason: 2}
    assert {report["format"] for report in summary.file_reports} == {"big-agi"}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 5)
