"""Chatbox data export: `chatbox-exported-data-<date>.json`, the older `chat-sessions` list or one `session:<id>`
key per chat.

The fixtures (tests/fixtures/real_formats/chatbox/) are written by hand in the shapes of Chatbox's exporters and
types: system messages, a failed answer (`error`, `errorCode`), an empty and an "Untitled" chat, and in the newer
layout `contentParts` (reasoning, tool calls with a result and an error, an image, an info notice), a regenerated
answer stashed in `messageForksHash`, an earlier thread, a compaction summary, attached files, a picture chat, a
chat still in `content` strings and the sidebar's star.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import chatbox, detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "chatbox"
LEGACY = ROOT / "chatbox-exported-data-2024-3-9.json"
MODERN = ROOT / "chatbox-exported-data-2025-6-3.json"
SOUND = "6e5d4c3b-2a19-4807-b6a5-9483726150fe"
WEATHER = "7f6e5d4c-3b2a-4918-a7b6-a59483726150"


def _load(path: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(path.read_bytes())
    return value


def _by_id(data: bytes) -> dict[str, Any]:
    conversations, errors = parse("chatbox", data, MODERN.name)
    assert errors == []
    return {conversation.external_id: conversation for conversation in conversations}


def test_both_layouts_are_detected_minified_indented_and_longer_than_the_head() -> None:
    legacy, modern = _load(LEGACY), _load(MODERN)
    legacy["chat-sessions"][0]["messages"][1]["content"] = "word " * 20_000
    modern[f"session:{SOUND}"]["messages"][1]["contentParts"][0]["text"] = "word " * 20_000
    for export in (legacy, modern):
        for data in (json.dumps(export).encode(), json.dumps(export, indent=2).encode()):
            assert len(data) > 65536
            assert detect_format(data[:65536], "export.json") == "chatbox"
    for path in (LEGACY, MODERN):
        assert detect_format(path.read_bytes()[:65536], path.name) == "chatbox"
    # A newer export whose first key is a chat.
    first = {f"session:{SOUND}": modern[f"session:{SOUND}"], "configVersion": 12}
    assert detect_format(json.dumps(first).encode()[:65536], "export.json") == "chatbox"


def test_other_formats_are_not_taken_for_chatbox() -> None:
    openai = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    assert detect_format(json.dumps(openai).encode(), "data.json") == "openai"
    assert detect_format(b'{"sessions": [{"messages": []}]}', "data.json") != "chatbox"


def test_the_older_layout_reads_each_chat() -> None:
    results = list(get_importer("chatbox").parse(io.BytesIO(LEGACY.read_bytes()), LEGACY.name))
    australia, limerick, empty = results
    assert isinstance(australia, ParsedConversation)
    assert isinstance(limerick, ParsedConversation)
    assert turns(australia) == [
        ("user", "What's the capital of Australia?"),
        ("assistant", "The capital of Australia is Sydney."),
        ("user", "No, Sydney is the largest city, not the capital."),
        ("assistant", "You're right: the capital is Canberra."),
    ]
    assert (australia.external_id, australia.title, australia.json_path) == (
        "0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f",
        "Capital of Australia",
        '$["chat-sessions"][0]',
    )
    assert (australia.system_prompt or "").startswith("You are a helpful assistant.")
    assert australia.metadata == {"models": ["gpt-4"]}
    # "Untitled" gives way to the first prompt; the failed answer is left out.
    assert limerick.title == "Write a limerick about a cat."
    assert turns(limerick)[0] == ("user", "Write a limerick about a cat.\n\nOnce more, please.")
    assert limerick.metadata == {"models": ["gpt-4"], "failed_responses": 1}
    assert empty == Skipped("Chatbox chat without an answer")


def test_the_newer_layout_reads_the_current_branch_and_each_thread() -> None:
    by_id = _by_id(MODERN.read_bytes())
    assert list(by_id) == [f"{SOUND}/thread-a1", SOUND, WEATHER, "9b8a7f6e-5d4c-4b3a-89c8-c7b6a5948372"]
    sound = by_id[SOUND]
    assert turns(sound) == [
        ("user", "How fast does sound travel in water?"),
        ("assistant", "About 340 m/s, the same as in air."),
        ("user", "That's the speed in air. In water it's over four times faster."),
        ("assistant", "Correct: sound travels at about 1,480 m/s in water."),
    ]
    assert sound.turns[1].blocks == [
        {"type": "thinking", "thinking": "Sound is faster in denser media."},
        {"type": "text", "text": "About 340 m/s, the same as in air."},
    ]
    assert (sound.title, sound.json_path) == ("Speed of sound", f'$["session:{SOUND}"]')
    # The stashed first answer is counted, not read; the star is the sidebar's.
    assert sound.metadata == {"models": ["deepseek-reasoner"], "starred": True, "regenerated_responses": 1}
    assert sound.dropped == {"file": 1}
    thread = by_id[f"{SOUND}/thread-a1"]
    assert (thread.title, turns(thread)) == (
        "Light",
        [
            ("user", "How long does sunlight take to reach Earth?"),
            ("assistant", "About 8 minutes and 20 seconds."),
        ],
    )
    assert "regenerated_responses" not in thread.metadata
    assert thread.json_path == f'$["session:{SOUND}"].threads[0]'


def test_tool_calls_images_and_content_strings() -> None:
    by_id = _by_id(MODERN.read_bytes())
    weather = by_id[WEATHER]
    assert turns(weather) == [
        ("user", "Is it raining in Bergen?"),
        ("assistant", "Yes, it is raining in Bergen (4.2 mm so far)."),
    ]
    call, result, text, failed_call, failed = weather.turns[1].blocks or []
    assert call == {"type": "tool_use", "id": "tc-77", "name": "get_weather", "input": {"city": "Bergen"}}
    assert (result["tool_use_id"], result["content"], result["is_error"]) == (
        "tc-77",
        '{"rain":true,"mm":4.2}',
        False,
    )
    assert text == {"type": "text", "text": "Yes, it is raining in Bergen (4.2 mm so far)."}
    assert failed_call["name"] == "get_radar"
    assert (failed["content"], failed["is_error"]) == ("radar service unavailable", True)
    # The user's image is dropped; the info notice and the compaction summary are left out.
    assert weather.dropped == {"image": 1}
    assert weather.system_prompt is None
    spelled = by_id["9b8a7f6e-5d4c-4b3a-89c8-c7b6a5948372"]
    assert (spelled.title, turns(spelled)) == (
        "Spell 'necessary' backwards.",
        [("user", "Spell 'necessary' backwards."), ("assistant", "yrassecen")],
    )
    results = list(get_importer("chatbox").parse(io.BytesIO(MODERN.read_bytes()), MODERN.name))
    assert results.count(Skipped("Chatbox chat without an answer")) == 1  # the picture chat


def test_bad_chats_are_named_by_their_path_and_the_rest_imports() -> None:
    export = _load(MODERN)
    export[f"session:{SOUND}"]["messages"][2]["role"] = "bot"
    export[f"session:{WEATHER}"]["messages"][0]["contentParts"] = "Is it raining?"
    export["session:broken"] = ["not", "a", "chat"]
    conversations, errors = parse("chatbox", json.dumps(export, indent=2).encode(), MODERN.name)
    assert [conversation.external_id for conversation in conversations] == [
        f"{SOUND}/thread-a1",
        "9b8a7f6e-5d4c-4b3a-89c8-c7b6a5948372",
    ]
    assert errors_of(errors) == [
        (
            None,
            f'$["session:{SOUND}"]',
            'messages[2].role: expected system, user, assistant or tool, got "bot"',
        ),
        (
            None,
            f'$["session:{WEATHER}"]',
            "messages[0].contentParts: expected a list of parts or the text, got a string",
        ),
        (None, '$["session:broken"]', "expected a chat object, got a list"),
    ]


def test_a_cut_export_keeps_the_chats_before_the_cut() -> None:
    data = MODERN.read_bytes()
    cut = data[: data.index(b"Sunset painting", data.index(b'"session:'))]
    conversations, errors = parse("chatbox", cut, MODERN.name)
    assert [conversation.external_id for conversation in conversations] == [
        f"{SOUND}/thread-a1",
        SOUND,
        WEATHER,
    ]
    assert errors_of(errors) == [
        (None, '$["session:8a7f6e5d-4c3b-4a29-b8c7-b6a594837261"]', "file ends inside this chat")
    ]


@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_the_scan_reads_the_same_in_any_chunk_size(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    expected = _by_id(MODERN.read_bytes())
    monkeypatch.setattr(chatbox, "_CHUNK", chunk)
    indented = json.dumps(_load(MODERN), indent=2, ensure_ascii=False).encode()
    for data in (MODERN.read_bytes(), indented):
        assert _by_id(data) == expected


def test_a_chat_over_the_record_limit_is_an_error_and_the_others_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export = _load(MODERN)
    export[f"session:{WEATHER}"]["messages"][0]["contentParts"][0]["text"] = "rain " * 2_000
    monkeypatch.setattr(chatbox, "MAX_RECORD_BYTES", 4_000)
    conversations, errors = parse("chatbox", json.dumps(export).encode(), MODERN.name)
    assert WEATHER not in [conversation.external_id for conversation in conversations]
    assert len(conversations) == 3
    ((line, path, reason),) = errors_of(errors)
    assert (line, path) == (None, f'$["session:{WEATHER}"]')
    assert reason.startswith("the chat is ")
    assert reason.endswith("MB limit")


def test_files_that_are_not_chatbox_exports_say_why() -> None:
    with pytest.raises(FileFormatError, match="not a Chatbox export: the file starts with a JSON list"):
        parse("chatbox", b'[{"role": "user"}]', "x.json")
    with pytest.raises(FileFormatError, match="not a Chatbox export: the file starts with b'#'"):
        parse("chatbox", b"# notes\n", "x.md")
    with pytest.raises(FileFormatError, match="file is empty"):
        parse("chatbox", b"  \n", "x.json")
    _, errors = parse("chatbox", b'{"sessions": []}', "x.json")
    assert errors_of(errors) == [
        (None, "$", "not a Chatbox export: expected `chat-sessions` or `session:<id>` keys")
    ]
    settings_only = (
        b'{"__exported_items": ["setting"], "__exported_at": "2025-01-01T00:00:00Z", "settings": {}}'
    )
    assert detect_format(settings_only, "chatbox-exported-data-2025-1-1.json") == "chatbox"
    assert list(get_importer("chatbox").parse(io.BytesIO(settings_only), "x.json")) == [
        Skipped("Chatbox export without chats")
    ]


def test_the_exports_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    # The Australian capital and the speed of sound are pushed back on.
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (6, 2, 0)
    assert dict(summary.skipped) == {"Chatbox chat without an answer": 2}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 6)
