"""BetterChatGPT exports: `{chats, folders, version: 1}` (string or content-part messages) and the legacy
bare array of chats.

The fixtures (tests/fixtures/real_formats/betterchatgpt/) are written by hand in the shape of the app's source
(`ExportChat.tsx`, `ImportChat.tsx`, `types/chat.ts`): a chat in a folder, a vision chat with an image part, a
new chat with only the default system message, a chat still titled "New Chat", a system message added mid-chat,
and a legacy array whose `folder` is a folder's name.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"
ROOT = FIXTURES / "betterchatgpt"
EXPORT = ROOT / "2024-06-02.json"
LEGACY = ROOT / "2023-04-10.json"
SYSTEM = (
    "You are ChatGPT, a large language model trained by OpenAI.\nCarefully heed the user's instructions.\n"
    "Respond using Markdown."
)


def _export() -> dict[str, Any]:
    export: dict[str, Any] = json.loads(EXPORT.read_bytes())
    return export


def test_exports_are_detected_by_content() -> None:
    assert detect_format(EXPORT.read_bytes(), EXPORT.name) == "betterchatgpt"
    assert detect_format(LEGACY.read_bytes(), LEGACY.name) == "betterchatgpt"
    export = _export()
    legacy = json.loads(LEGACY.read_bytes())
    for value in (export, legacy):
        for data in (json.dumps(value).encode(), json.dumps(value, indent=2).encode()):
            assert detect_format(data, "2024-06-02.json") == "betterchatgpt"
    # The first chat longer than the head, minified and indented.
    export["chats"][0]["messages"][1]["content"] = "word " * 20_000
    legacy[0]["messages"][1]["content"] = "word " * 20_000
    for value in (export, legacy):
        for data in (json.dumps(value).encode(), json.dumps(value, indent=2).encode()):
            assert len(data) > 65536
            assert detect_format(data[:65536], "2024-06-02.json") == "betterchatgpt"
    empty = {"chats": [], "folders": {}, "version": 1}
    assert detect_format(json.dumps(empty).encode(), "2024-06-02.json") == "betterchatgpt"


def test_other_formats_fixtures_are_not_taken_for_betterchatgpt() -> None:
    for path in FIXTURES.rglob("*.json*"):
        if path.is_file() and ROOT not in path.parents:
            assert detect_format(path.read_bytes()[:65536], path.name) != "betterchatgpt", path
    # OpenAI records have no generation settings beside their messages.
    plain = [{"id": "a", "title": "t", "messages": [{"role": "user", "content": "hi"}]}]
    assert detect_format(json.dumps(plain).encode(), "x.json") == "openai"


def test_the_export_is_read_chat_by_chat() -> None:
    results = list(get_importer("betterchatgpt").parse(io.BytesIO(EXPORT.read_bytes()), EXPORT.name))
    assert results[2] == Skipped("BetterChatGPT chat without an answer")
    conversations, errors = parse("betterchatgpt", EXPORT.read_bytes(), EXPORT.name)
    assert errors == []
    capital, mushroom, regex, pirate = conversations
    assert turns(capital) == [
        ("user", "What is the capital of Australia?"),
        ("assistant", "The capital of Australia is Sydney."),
        ("user", "That's wrong, Sydney is the biggest city but not the capital."),
        ("assistant", "You're right, my mistake: the capital is Canberra."),
    ]
    assert (capital.external_id, capital.title, capital.json_path, capital.system_prompt) == (
        "2f6a9c1e-4b7d-4e3f-9a8b-c1d2e3f4a5b6",
        "Capital of Australia",
        "$.chats[0]",
        SYSTEM,
    )
    assert capital.metadata == {"models": ["gpt-4o"], "folder_id": "7c1e4f2a-9b3d-4e8f-a6c5-1d2e3f4a5b6c"}
    # Content parts: the text read, the image counted.
    assert turns(mushroom)[0] == ("user", "Is this mushroom a chanterelle?")
    assert (mushroom.system_prompt, mushroom.dropped) == (SYSTEM, {"image": 1})
    # Still "New Chat": the first prompt is the title.
    assert regex.title == "Give me a regex that matches a five-digit US ZIP code."
    assert regex.metadata == {"models": ["gpt-4o-mini"]}
    # A system message added mid-chat joins the system prompt; the turns go on.
    assert pirate.system_prompt == f"{SYSTEM}\n\nFrom now on, answer like a pirate."
    assert [turn.role for turn in pirate.turns] == ["user", "assistant", "user", "assistant"]


def test_the_legacy_array_keeps_its_folder_names() -> None:
    conversations, errors = parse("betterchatgpt", LEGACY.read_bytes(), LEGACY.name)
    assert errors == []
    sound, egg = conversations
    assert (sound.external_id, sound.title, sound.json_path) == (
        "6f5e4d3c-2b1a-4987-8654-3210fedcba98",
        "Speed of sound",
        "$[0]",
    )
    assert sound.metadata == {"models": ["gpt-3.5-turbo"], "folder": "Physics"}
    assert egg.system_prompt is None
    assert turns(egg)[2] == ("user", "That's wrong, ten minutes makes it hard-boiled.")


def test_an_export_whose_chats_do_not_open_it_is_read_whole() -> None:
    export = _export()
    reordered = {"version": 1, "folders": export["folders"], "chats": export["chats"]}
    for data in (json.dumps(reordered).encode(), json.dumps(reordered, indent=2).encode()):
        assert detect_format(data, "x.json") == "betterchatgpt"
        conversations, errors = parse("betterchatgpt", data, "x.json")
        assert errors == []
        assert [c.json_path for c in conversations] == [
            "$.chats[0]",
            "$.chats[1]",
            "$.chats[3]",
            "$.chats[4]",
        ]


def test_bad_chats_are_named_by_their_path_and_the_others_import() -> None:
    export = _export()
    export["chats"][0]["messages"][2]["role"] = "function"
    export["chats"][1]["messages"] = None
    export["chats"][4]["messages"][1]["content"] = {"text": "Tell me about the tides."}
    for data in (json.dumps(export).encode(), json.dumps(export, indent=2).encode()):
        conversations, errors = parse("betterchatgpt", data, EXPORT.name)
        assert [c.external_id for c in conversations] == ["9e8d7c6b-5a49-4382-b716-0f9e8d7c6b5a"]
        assert errors_of(errors) == [
            (
                None,
                "$.chats[0]",
                'messages[2].role: expected "user", "assistant" or "system", got "function"',
            ),
            (None, "$.chats[1]", "messages: expected a list, got null"),
            (None, "$.chats[4]", "messages[1].content: expected a string or a list of parts, got an object"),
        ]
    legacy = json.loads(LEGACY.read_bytes())
    legacy[0]["messages"] = "oops"
    conversations, errors = parse("betterchatgpt", json.dumps(legacy).encode(), LEGACY.name)
    assert [c.external_id for c in conversations] == ["0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"]
    assert errors_of(errors) == [(None, "$[0]", "messages: expected a list, got a string")]


def test_a_cut_export_keeps_the_chats_before_the_cut() -> None:
    data = EXPORT.read_bytes()
    cut = data[: data.index(b"4a5b6c7d-8e9f")]
    conversations, errors = parse("betterchatgpt", cut, EXPORT.name)
    assert len(conversations) == 2
    assert errors_of(errors) == [(None, "$.chats[2]", "file ends inside this record")]


def test_one_chat_alone_and_files_that_are_not_exports() -> None:
    chat = _export()["chats"][0]
    conversations, errors = parse("betterchatgpt", json.dumps(chat, indent=2).encode(), "chat.json")
    assert (errors, [c.json_path for c in conversations]) == ([], ["$"])
    importer = get_importer("betterchatgpt")
    results = list(importer.parse(io.BytesIO(b'{\n  "folders": {},\n  "version": 1\n}\n'), "x.json"))
    assert results == [
        RecordError(
            "the file's JSON object is not a BetterChatGPT chat or export: messages: expected a list, got null",
            json_path="$",
        )
    ]
    results = list(importer.parse(io.BytesIO(b'{"folders": {}, "version": 1, "chats": 7}'), "x.json"))
    assert results == [RecordError("chats: expected the list of chats, got a number", line=1)]
    empty = b'{"chats":[],"folders":{},"version":1}'
    assert list(importer.parse(io.BytesIO(empty), "x.json")) == [
        Skipped("BetterChatGPT export without chats")
    ]
    with pytest.raises(FileFormatError, match="not JSON"):
        list(importer.parse(io.BytesIO(b"chats: none\n"), "x.json"))


def test_the_exports_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (6, 2, 0)
    assert dict(summary.skipped) == {"BetterChatGPT chat without an answer": 1}
    assert dict(summary.dropped) == {"image": 1}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 6)
