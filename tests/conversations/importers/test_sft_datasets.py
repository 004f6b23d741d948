"""Public instruction and chat datasets that are neither OpenAI messages nor ShareGPT turns (fixtures written by
hand from the dataset cards): UltraChat, Capybara, Dolly, HelpSteer2."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "sft_datasets"


def _results(name: str) -> list[object]:
    data = (ROOT / name).read_bytes()
    assert detect_format(data[:65536], name) == "sft-dataset"
    return list(get_importer("sft-dataset").parse(io.BytesIO(data), name))


def test_ultrachat_texts_alternate_from_the_user() -> None:
    first, second, unanswered = _results("ultrachat.jsonl")
    assert isinstance(first, ParsedConversation)
    assert first.external_id == "0"
    assert [role for role, _ in turns(first)] == ["user", "assistant", "user", "assistant"]
    assert turns(first)[2] == ("user", "mine is on a north window and it's dying")
    assert isinstance(second, ParsedConversation)
    assert unanswered == Skipped("dataset row without an answer")


def test_capybara_inputs_and_outputs() -> None:
    first, second, broken = _results("capybara.jsonl")
    assert isinstance(first, ParsedConversation)
    assert first.metadata == {"source": "Know-Logic"}
    assert turns(first)[2:] == [
        ("user", "that's wrong, 14 squared is 196"),
        ("assistant", "You're right, I made a mistake: the square root of 144 is 12."),
    ]
    assert isinstance(second, ParsedConversation)
    assert isinstance(broken, RecordError)
    assert (broken.line, broken.reason) == (3, "conversation[0].input: expected a string, got a number")


def test_dolly_context_follows_the_instruction() -> None:
    first, second = _results("databricks-dolly-15k.jsonl")
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert turns(first)[0] == (
        "user",
        "When did Virgin Australia start operating?\n\nVirgin Australia commenced services on 31 August 2000 as "
        "Virgin Blue, with two aircraft on a single route.",
    )
    assert first.metadata == {"category": "closed_qa"}
    assert turns(second) == [("user", "Which is a species of fish? Tope or Rope"), ("assistant", "Tope")]


def test_helpsteer_ratings_are_metadata() -> None:
    (row,) = _results("helpsteer2.jsonl")
    assert isinstance(row, ParsedConversation)
    assert row.metadata == {
        "helpsteer": {"helpfulness": 4, "correctness": 4, "coherence": 4, "complexity": 1, "verbosity": 1}
    }


def test_other_shapes_are_not_taken_for_it() -> None:
    messages = {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}
    assert detect_format(json.dumps(messages).encode() + b"\n", "x.jsonl") == "openai"
    alpaca = [{"instruction": "Sort these.", "input": "3 1 2", "output": "1 2 3"}]
    assert detect_format(json.dumps(alpaca).encode(), "alpaca.json") != "sft-dataset"
    pref = {"instruction": "Sort.", "chosen": "1 2 3", "rejected": "3 2 1"}
    assert detect_format(json.dumps(pref).encode() + b"\n", "pref.jsonl") == "preference"


def test_import_finds_the_pushbacks_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="datasets", workers=0)
    assert (summary.conversations_added, summary.error_count, summary.pairs_detected) == (8, 1, 3)
    assert run_import(engine, paths=[ROOT], source="datasets", workers=0).conversations_added == 0


def test_a_helpsteer2_prompt_holding_earlier_turns_is_read_as_them() -> None:
    (row,) = _results("helpsteer2_multiturn.jsonl")
    assert isinstance(row, ParsedConversation)
    assert turns(row) == [
        ("user", "Convert 5 km to miles."),
        ("assistant", "About 8 miles."),
        ("user", "That's wrong, it's the other way round: 5 km is less than 5 miles."),
        ("assistant", "You're right: 5 km is about 3.1 miles."),
    ]
