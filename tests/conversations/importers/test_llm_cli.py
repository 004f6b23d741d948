"""Simon Willison's `llm` CLI: what `llm logs --json` prints, one record per prompt and its response.

The fixtures (tests/fixtures/real_formats/llm_cli/) are written by hand in the shape of `logs_list` in `llm/cli.py`:
`llm-logs-all.json` (`-n 0`, the 0.26 column set) interleaves two conversations and holds a system prompt, prompt
and system fragments, an attachment and a tool chain; `llm-logs-last.json` (the default last records, the 0.13
column set) holds a conversation whose first exchange is only in the later records' `prompt_json`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "llm_cli"
ALL = ROOT / "llm-logs-all.json"
LAST = ROOT / "llm-logs-last.json"
FLOAT_ID = "01jv0a1b2c3d4e5f6g7h8j9k0m"


def _records(path: Path = ALL) -> list[Any]:
    records: list[Any] = json.loads(path.read_bytes())
    return records


def _conversations(data: bytes, name: str) -> list[ParsedConversation]:
    results = list(get_importer("llm-cli").parse(io.BytesIO(data), name))
    assert all(isinstance(result, ParsedConversation) for result in results)
    return [result for result in results if isinstance(result, ParsedConversation)]


def test_the_logs_are_detected_by_content() -> None:
    for path in (ALL, LAST):
        assert detect_format(path.read_bytes()[:65536], "logs.json") == "llm-cli"
    # Minified, and with the first prompt or response longer than the head.
    for key in ("prompt", "response"):
        records = _records()
        records[0][key] = "word " * 20_000
        for data in (json.dumps(records).encode(), json.dumps(records, indent=2).encode()):
            assert len(data) > 65536
            assert detect_format(data[:65536], "logs.json") == "llm-cli"
    # The records of older versions, without `resolved_model`.
    records = _records(LAST)
    records[0]["prompt"] = "word " * 20_000
    assert detect_format(json.dumps(records, indent=2).encode()[:65536], "logs.json") == "llm-cli"


def test_other_formats_are_not_taken_for_llm_logs() -> None:
    openai = [{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}]
    assert detect_format(json.dumps(openai).encode(), "x.json") == "openai"
    preference = [{"prompt": "Q", "chosen": "good", "rejected": "bad"}]
    assert detect_format(json.dumps(preference).encode(), "x.json") == "preference"
    assert not get_importer("llm-cli").sniff(b'[{"id": 1, "prompt": "Q", "response": "A"}]', "x.json")


def test_records_are_grouped_by_conversation_across_the_file() -> None:
    floats, summary, clock = _conversations(ALL.read_bytes(), str(ALL))
    assert turns(floats) == [
        ("user", "Is 0.1 + 0.2 == 0.3 in Python?"),
        ("assistant", "Yes, it evaluates to True."),
        ("user", "That's wrong: floating point makes it False."),
        ("assistant", "You're right. 0.1 + 0.2 is 0.30000000000000004, so the comparison is False."),
    ]
    assert (floats.external_id, floats.title, floats.system_prompt, floats.json_path) == (
        FLOAT_ID,
        "Is 0.1 + 0.2 == 0.3 in Python?",
        "You are a terse Python expert.",
        "$[0]",
    )
    assert floats.metadata == {"models": ["gpt-4o-mini"], "create_time": "2025-05-10T09:00:00.100000+00:00"}
    # Fragments: the prompt's are context blocks, the system's part of the system prompt; the image is dropped.
    assert summary.turns[0].blocks == [
        {"type": "context", "tag": "fragment", "text": "def add(a, b):\n    return a + b", "name": "add.py"}
    ]
    assert (summary.system_prompt, summary.dropped, summary.metadata["models"]) == (
        "Answer in one sentence.",
        {"image": 1},
        ["claude-3.5-sonnet"],
    )
    # A tool chain is one answer: the call, its result (sent with the next record) and the text.
    assert turns(clock) == [("user", "What time is it in UTC?"), ("assistant", "It is 09:03 UTC.")]
    call, result, text = clock.turns[1].blocks or []
    assert (call["type"], call["id"], call["name"], call["input"]) == ("tool_use", "call_utc", "llm_time", {})
    assert (result["tool_use_id"], result["content"], result["is_error"]) == (
        "call_utc",
        '{"utc_time": "2025-05-10 09:03:01 UTC"}',
        False,
    )
    assert text == {"type": "text", "text": "It is 09:03 UTC."}


def test_records_out_of_order_are_sorted_by_time() -> None:
    # `llm logs -q` lists records by rank.
    records = list(reversed(_records()))
    conversations, errors = parse("llm-cli", json.dumps(records, indent=2).encode(), "logs.json")
    assert errors == []
    floats = next(c for c in conversations if c.external_id == FLOAT_ID)
    assert [t.text for t in floats.turns if t.role == "user"] == [
        "Is 0.1 + 0.2 == 0.3 in Python?",
        "That's wrong: floating point makes it False.",
    ]


def test_a_conversation_whose_start_is_not_in_the_file_takes_it_from_prompt_json() -> None:
    conversation = parse_one("llm-cli", LAST.read_bytes(), str(LAST))
    assert [t.text for t in conversation.turns if t.role == "user"] == [
        "Give me a word that rhymes with orange.",
        "Sporange is not a common word. Give a near rhyme instead.",
        "Thanks. Use it in a sentence.",
    ]
    assert (conversation.title, conversation.metadata) == (
        "Give me a word that rhymes with\N{HORIZONTAL ELLIPSIS}",
        {"models": ["gpt-4"], "create_time": "2024-03-06T07:21:02.123456"},
    )
    # The whole log reads as the same turns: its earlier records' history is not read again.
    records = _records()
    whole = parse("llm-cli", json.dumps(records).encode(), "logs.json")[0]
    assert [len(c.turns) for c in whole] == [4, 2, 2]


def test_bad_records_are_named_by_their_path_and_the_others_import() -> None:
    records = _records()
    records[1]["prompt"] = 42
    records[3] = "not a record"
    conversations, errors = parse("llm-cli", json.dumps(records, indent=2).encode(), "logs.json")
    assert [c.external_id for c in conversations] == [FLOAT_ID, "01jv0c1b2c3d4e5f6g7h8j9k0m"]
    assert errors_of(errors) == [
        (None, "$[1]", "prompt: expected the prompt's text, got a number"),
        (None, "$[3]", "expected a JSON object, got a string"),
    ]
    # The tool chain's first record lost, its second one's `prompt_json` holds the prompt and the call.
    assert turns(conversations[1]) == [("user", "What time is it in UTC?"), ("assistant", "It is 09:03 UTC.")]
    assert [block["type"] for block in conversations[1].turns[1].blocks or []] == [
        "tool_use",
        "tool_result",
        "text",
    ]
    # A record without a conversation id is a conversation of its own; one with nothing said is skipped.
    lone = dict(_records()[1], conversation_id=None)
    empty = dict(_records()[1], conversation_id="01jv0zzzzzzzzzzzzzzzzzzzzz", prompt="", response="")
    first, second = get_importer("llm-cli").parse(io.BytesIO(json.dumps([lone, empty]).encode()), "logs.json")
    assert isinstance(first, ParsedConversation)
    assert first.external_id == "logs.json:$[0]"
    assert second == Skipped("llm conversation without a prompt and an answer")


def test_a_file_that_is_not_json_is_a_clear_error() -> None:
    with pytest.raises(FileFormatError, match="not JSON"):
        list(
            get_importer("llm-cli").parse(
                io.BytesIO(b"# 2025-05-10T09:00:00    conversation: 01jv\n"), "x.md"
            )
        )


def test_the_logs_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (4, 2, 0)
    assert {report["format"] for report in summary.file_reports} == {"llm-cli"}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 4)
