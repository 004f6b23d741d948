"""TypingMind exports: the single `{data: {chats, folders, ...}}` file and the newer export folder or ZIP
(`data.json` listing chunk files of chats, `metadata.json`).

TypingMind is closed source and the shape is reconstructed (low confidence) from the tools that read or write
it (big-AGI's importer, chatgpt2typingmind). The fixtures (tests/fixtures/real_formats/typingmind/) are written
by hand in that shape: a chat in a folder with a system message, an image part, an OpenAI-style tool call, a
chat marked deleted, an unanswered chat, a chat without a title, and an export folder of two chunk files.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"
ROOT = FIXTURES / "typingmind"
SINGLE = ROOT / "20240921_101500_typingmind_export.json"
FOLDER = ROOT / "20260105_083000_typingmind_export"
PART_1 = FOLDER / "chunks" / "chats_part_1.json"
INDEX = "TypingMind export index (data.json): its chats are in the chunk files beside it"
FILE_LIST = "TypingMind export file list (metadata.json), not conversations"


def _single() -> dict[str, Any]:
    export: dict[str, Any] = json.loads(SINGLE.read_bytes())
    return export


def test_every_file_of_an_export_is_detected_by_content() -> None:
    for path in (SINGLE, PART_1, FOLDER / "data.json", FOLDER / "metadata.json"):
        assert detect_format(path.read_bytes(), path.name) == "typingmind", path
    export = _single()
    chunk = json.loads(PART_1.read_bytes())
    for value in (export, chunk):
        for data in (json.dumps(value).encode(), json.dumps(value, indent=2).encode()):
            assert detect_format(data, "export.json") == "typingmind"
    # The first chat longer than the head, minified and indented.
    export["data"]["chats"][0]["messages"][0]["content"] = "word " * 20_000
    chunk[0]["messages"][0]["content"] = "word " * 20_000
    for value in (export, chunk):
        for data in (json.dumps(value).encode(), json.dumps(value, indent=2).encode()):
            assert len(data) > 65536
            assert detect_format(data[:65536], "export.json") == "typingmind"


def test_other_formats_fixtures_are_not_taken_for_typingmind() -> None:
    for path in FIXTURES.rglob("*.json*"):
        if path.is_file() and ROOT not in path.parents:
            assert detect_format(path.read_bytes()[:65536], path.name) != "typingmind", path
    # A `data` object of another shape is not an export.
    assert (
        detect_format(b'{"data": {"messages": [{"role": "user", "content": "hi"}]}}', "x.json")
        != "typingmind"
    )


def test_the_single_file_is_read_chat_by_chat() -> None:
    results = list(get_importer("typingmind").parse(io.BytesIO(SINGLE.read_bytes()), SINGLE.name))
    assert results[3:5] == [
        Skipped("TypingMind chat marked deleted"),
        Skipped("TypingMind chat without an answer"),
    ]
    conversations, errors = parse("typingmind", SINGLE.read_bytes(), SINGLE.name)
    assert errors == []
    spider, basil, rate, prime = conversations
    assert turns(spider) == [
        ("user", "How many legs does a spider have?"),
        ("assistant", "Spiders have six legs."),
        ("user", "That's wrong, six legs is insects. Spiders are arachnids."),
        ("assistant", "You're right: spiders have eight legs."),
    ]
    assert (spider.external_id, spider.title, spider.json_path, spider.system_prompt) == (
        "Rb3kX9mQ2w",
        "Spider legs",
        "$.data.chats[0]",
        "Answer in one short sentence.",
    )
    assert spider.metadata == {
        "created_at": "2024-09-21T09:58:00.000Z",
        "updated_at": "2024-09-21T09:58:42.760Z",
        "folder_id": "fo-12ab34cd",
        "models": ["gpt-4o"],
    }
    assert turns(basil)[0] == ("user", "Why are the leaves of my basil turning yellow?")
    assert (basil.dropped, basil.metadata["models"]) == ({"image": 1}, ["claude-3-5-sonnet-20240620"])
    assert [turn.role for turn in rate.turns] == ["user", "assistant"]
    assert rate.turns[1].blocks == [
        {
            "type": "tool_use",
            "id": "call_fx1",
            "name": "currency_convert",
            "input": {"from": "EUR", "to": "JPY", "amount": 50},
        },
        {"type": "tool_result", "tool_use_id": "call_fx1", "content": '{"result": 7975}', "is_error": False},
        {"type": "text", "text": "50 euros is about 7,975 yen today."},
    ]
    # No title: the first prompt.
    assert (prime.json_path, prime.title) == ("$.data.chats[5]", "Name a prime number between 20 and 25.")


def test_the_export_folder_reads_its_chunks_and_skips_its_index() -> None:
    conversations, errors = parse("typingmind", PART_1.read_bytes(), str(PART_1))
    assert errors == []
    assert [(c.external_id, c.json_path) for c in conversations] == [
        ("Gk8hJ0kL2m", "$[0]"),
        ("Hl9jK1lZ3x", "$[1]"),
    ]
    importer = get_importer("typingmind")
    assert list(importer.parse(io.BytesIO((FOLDER / "data.json").read_bytes()), "data.json")) == [
        Skipped(INDEX)
    ]
    metadata = (FOLDER / "metadata.json").read_bytes()
    assert list(importer.parse(io.BytesIO(metadata), "metadata.json")) == [Skipped(FILE_LIST)]
    # A data.json holding the chats themselves (as converters write it) is read like the single file.
    flat = {"data": {"chats": json.loads(PART_1.read_bytes()), "folders": []}}
    conversations, errors = parse("typingmind", json.dumps(flat, indent=2).encode(), "data.json")
    assert (errors, [c.json_path for c in conversations]) == ([], ["$.data.chats[0]", "$.data.chats[1]"])


def test_an_export_whose_chats_do_not_open_it_is_read_whole() -> None:
    export = _single()
    reordered = {"data": {"folders": export["data"]["folders"], "chats": export["data"]["chats"]}}
    conversations, errors = parse("typingmind", json.dumps(reordered).encode(), SINGLE.name)
    assert errors == []
    assert [c.json_path for c in conversations] == [
        "$.data.chats[0]",
        "$.data.chats[1]",
        "$.data.chats[2]",
        "$.data.chats[5]",
    ]


def test_bad_chats_are_named_by_their_path_and_the_others_import() -> None:
    export = _single()
    chats = export["data"]["chats"]
    chats[0]["messages"][1]["role"] = "robot"
    chats[1]["messages"] = {"uuid": "x"}
    chats[2]["messages"][1]["tool_calls"][0]["function"] = "currency_convert"
    for data in (json.dumps(export).encode(), json.dumps(export, indent=2).encode()):
        conversations, errors = parse("typingmind", data, SINGLE.name)
        assert [c.external_id for c in conversations] == ["Fw7tY9uI1o"]
        assert errors_of(errors) == [
            (
                None,
                "$.data.chats[0]",
                'messages[1].role: expected "system", "user", "assistant" or "tool", got "robot"',
            ),
            (None, "$.data.chats[1]", "messages: expected a list, got an object"),
            (None, "$.data.chats[2]", "messages[1].tool_calls[0].function: expected an object, got a string"),
        ]
    chunk = json.loads(PART_1.read_bytes())
    chunk[0] = "Gk8hJ0kL2m"
    conversations, errors = parse("typingmind", json.dumps(chunk).encode(), PART_1.name)
    assert [c.external_id for c in conversations] == ["Hl9jK1lZ3x"]
    assert errors_of(errors) == [(None, "$[0]", "expected a JSON object, got a string")]


def test_files_that_are_not_exports() -> None:
    importer = get_importer("typingmind")
    results = list(importer.parse(io.BytesIO(b'{"data": {"chats": "all"}}'), "x.json"))
    assert results == [RecordError("data.chats: expected the list of chats, got a string", line=1)]
    results = list(importer.parse(io.BytesIO(b'{\n  "settings": {}\n}\n'), "x.json"))
    assert results == [
        RecordError(
            "the file's JSON object is not a TypingMind chat or export: messages: expected a list, got null",
            json_path="$",
        )
    ]
    empty = b'{"data": {"chats": [], "folders": []}}'
    assert list(importer.parse(io.BytesIO(empty), "x.json")) == [Skipped("TypingMind export without chats")]
    with pytest.raises(FileFormatError, match="not JSON"):
        list(importer.parse(io.BytesIO(b"TypingMind export\n"), "x.json"))


def test_the_exports_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (7, 2, 0)
    assert dict(summary.skipped) == {
        "TypingMind chat marked deleted": 1,
        "TypingMind chat without an answer": 1,
        INDEX: 1,
        FILE_LIST: 1,
    }
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 7)


def test_the_zipped_export_folder_imports(engine: Engine, tmp_path: Path) -> None:
    archive = tmp_path / "20260105_083000_typingmind_export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(FOLDER.rglob("*.json")):
            zipped.write(path, path.relative_to(FOLDER).as_posix())
    summary = run_import(engine, paths=[archive])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 1, 0)
    assert dict(summary.skipped) == {INDEX: 1, FILE_LIST: 1}
