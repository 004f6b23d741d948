"""ChatGPT and Claude.ai files that hold one conversation as a bare top-level object, not an array.

Real files in tests/fixtures/real_formats/single_conversation/ (see SOURCES.md there), copied verbatim:
- pkuppens_single_object.json, pkuppens_2023_excerpt.json: one ChatGPT conversation as a pretty-printed
  object and inside an array, cut down from pkuppens/my_chat_gpt history_download/conversations.json.
- polylogue_real_claude_with-attachments.json: a Claude.ai conversation as a pretty-printed object, from
  Sinity/polylogue tests/fixtures/real/claude/with-attachments.json; polylogue_with-attachments_as_array.json
  is the same conversation wrapped in an array.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.conversations.importers import _records, detect_format
from app.conversations.importers.base import MAX_JSON_DEPTH, ParsedConversation
from app.conversations.reading import prepare

from .helpers import errors_of, jsonl, parse, parse_one, turns

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "single_conversation"
PAIRS = [
    ("chatgpt", "pkuppens_single_object.json", "pkuppens_2023_excerpt.json"),
    ("claude-ai", "polylogue_real_claude_with-attachments.json", "polylogue_with-attachments_as_array.json"),
]


def _content(conversation: ParsedConversation) -> tuple[Any, ...]:
    turns = [(turn.role, turn.text, turn.blocks) for turn in conversation.turns]
    hashed = prepare(conversation).content_hash
    return conversation.title, conversation.system_prompt, turns, conversation.dropped, hashed


@pytest.mark.parametrize(("fmt", "single", "array"), PAIRS)
def test_an_object_imports_like_the_same_conversation_in_an_array(fmt: str, single: str, array: str) -> None:
    as_object = parse_one(fmt, (REAL / single).read_bytes(), single)
    as_array = parse_one(fmt, (REAL / array).read_bytes(), array)
    assert as_object.json_path == "$"
    assert as_array.json_path == "$[0]"
    assert len(as_object.turns) == 4
    assert as_object.external_id == as_array.external_id
    assert _content(as_object) == _content(as_array)


@pytest.mark.parametrize(("fmt", "single", "array"), PAIRS)
def test_pretty_printed_and_single_line_objects_read_the_same(fmt: str, single: str, array: str) -> None:
    pretty = (REAL / single).read_bytes()
    assert pretty.startswith(b"{\n")
    one_line = json.dumps(json.loads(pretty)).encode()
    assert b"\n" not in one_line
    assert _content(parse_one(fmt, pretty, single)) == _content(parse_one(fmt, one_line, single))


@pytest.mark.parametrize(("fmt", "single", "array"), PAIRS)
def test_both_object_forms_are_detected(fmt: str, single: str, array: str) -> None:
    record = json.loads((REAL / single).read_bytes())
    for data in ((REAL / single).read_bytes(), json.dumps(record).encode()):
        assert detect_format(data[:65536], "upload.json") == fmt
        assert detect_format(data[:65536], "export/conversations.json") == fmt


def test_objects_longer_than_the_head_are_detected_and_read() -> None:
    chatgpt = json.loads((REAL / "pkuppens_single_object.json").read_bytes())
    claude = json.loads((REAL / "polylogue_real_claude_with-attachments.json").read_bytes())
    chatgpt["mapping"]["filler"] = {"id": "filler", "message": None, "note": "x" * 70_000}
    # The head must still show a message's "sender": a first message longer than the head hides it.
    claude["chat_messages"][-1]["text"] += "x" * 70_000
    for fmt, record in (("chatgpt", chatgpt), ("claude-ai", claude)):
        data = json.dumps(record, indent=2).encode()
        assert detect_format(data[:65536], "upload.json") == fmt
        assert len(parse_one(fmt, data, "upload.json").turns) == 4


def test_an_object_of_neither_shape_is_not_detected_and_says_what_was_expected() -> None:
    data = json.dumps({"title": "Notes", "items": [1, 2]}, indent=2).encode()
    assert detect_format(data, "upload.json") is None
    # A key named like the format's, below the top level, is no sign either.
    nested = json.dumps({"data": {"mapping": {}, "author": "me"}, "x": "y" * 70_000}, indent=2).encode()
    assert detect_format(nested[:65536], "upload.json") is None
    for fmt, expected in (
        ("chatgpt", "mapping: expected an object, got null"),
        ("claude-ai", "chat_messages: expected a list, got null"),
    ):
        conversations, errors = parse(fmt, data, "upload.json")
        assert conversations == []
        assert errors_of(errors) == [
            (None, "$", f"the file's JSON object is not a {fmt} conversation: {expected}")
        ]
    # An object of the right shape with a bad field says only what is wrong with it.
    looped = {"a": {"id": "a", "message": None, "parent": "a", "children": ["a"]}}
    broken = json.dumps({"title": "T", "mapping": looped, "current_node": None}, indent=2).encode()
    _, errors = parse("chatgpt", broken, "upload.json")
    assert errors_of(errors) == [(None, "$", "current_node: missing, and the mapping has no leaf")]


def test_a_pretty_printed_object_keeps_the_size_and_depth_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    deep = b"{\n" + b'"mapping": ' + b"[" * (MAX_JSON_DEPTH + 5) + b"]" * (MAX_JSON_DEPTH + 5) + b"\n}\n"
    _, errors = parse("chatgpt", deep, "deep.json")
    assert errors_of(errors) == [(None, "$", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")]
    monkeypatch.setattr(_records, "MAX_RECORD_BYTES", 1000)
    big = json.dumps({"mapping": {}, "title": "x" * 5000}, indent=2).encode()
    _, errors = parse("chatgpt", big, "big.json")
    assert len(errors) == 1
    assert errors[0].json_path == "$"
    assert errors[0].reason.startswith("the JSON object is ")
    assert "over the" in errors[0].reason


def test_a_broken_first_line_of_json_lines_still_leaves_the_other_records() -> None:
    record = {
        "uuid": "c",
        "chat_messages": [{"sender": "human", "text": "Q"}, {"sender": "assistant", "text": "A"}],
    }
    data = b'{"uuid": "broken", "chat_messages": [\n' + jsonl(record)
    conversations, errors = parse("claude-ai", data, "chats.jsonl")
    assert [turns(c) for c in conversations] == [[("user", "Q"), ("assistant", "A")]]
    assert [(error.line, error.json_path) for error in errors] == [(1, None)]


@pytest.mark.parametrize(
    ("fmt", "record"),
    [
        ("openai", {"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]}),
        ("anthropic", {"system": "Be brief.", "messages": [{"role": "user", "content": "Hi?"},
                                                          {"role": "assistant", "content": "Hello."}]}),
        ("sharegpt", {"conversations": [{"from": "human", "value": "Hi?"}, {"from": "gpt", "value": "Hello."}]}),
    ],
)  # fmt: skip
def test_other_json_formats_read_a_pretty_printed_object_as_one_record(
    fmt: str, record: dict[str, Any]
) -> None:
    data = json.dumps(record, indent=2).encode()
    assert detect_format(data, "one.json") == fmt
    assert turns(parse_one(fmt, data, "one.json")) == [("user", "Hi?"), ("assistant", "Hello.")]


def _claude(message: dict[str, Any]) -> bytes:
    human = {"sender": "human", "text": "Look at this.", **message}
    return json.dumps(
        {"uuid": "c", "chat_messages": [human, {"sender": "assistant", "text": "Done."}]}
    ).encode()


def test_a_file_whose_text_an_attachment_kept_is_not_dropped() -> None:
    real = parse_one("claude-ai", (REAL / "polylogue_real_claude_with-attachments.json").read_bytes())
    assert real.dropped == {}
    blocks = real.turns[0].blocks or []
    assert [(b["type"], b["name"]) for b in blocks] == [("context", "utils.py")]
    attachment = {"file_name": "a.py", "extracted_content": "print(1)"}
    kept_and_lost = {"attachments": [attachment], "files": [{"file_name": "a.py"}, {"file_name": "b.png"}]}
    assert parse_one("claude-ai", _claude(kept_and_lost)).dropped == {"file": 1}
    # An attachment without text keeps nothing, so its file still counts as dropped.
    empty = {
        "attachments": [{"file_name": "a.py", "extracted_content": " "}],
        "files": [{"file_name": "a.py"}],
    }
    assert parse_one("claude-ai", _claude(empty)).dropped == {"file": 1}
