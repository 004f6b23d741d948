"""Public chat logs in the OpenAI message shape under `conversation`: LMSYS-Chat-1M and WildChat.

The fixtures (tests/fixtures/real_formats/chat_logs/) are written by hand in the datasets' published shapes.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from app.conversations.importers import detect_format
from app.conversations.importing import run_import
from app.conversations.models import Conversation
from app.pairs.models import Pair

from .helpers import errors_of, jsonl, parse, turns

LOGS = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "chat_logs"


def test_both_logs_are_detected_as_openai_messages() -> None:
    for name in ("lmsys_chat_1m.json", "wildchat.jsonl"):
        assert detect_format((LOGS / name).read_bytes()[:65536], name) == "openai"


def test_an_lmsys_record_keeps_its_turns_id_and_model_and_drops_the_moderation() -> None:
    conversations, errors = parse("openai", (LOGS / "lmsys_chat_1m.json").read_bytes(), "lmsys_chat_1m.json")
    assert errors == []
    first, second = conversations
    assert [role for role, _ in turns(first)] == ["user", "assistant", "user", "assistant"]
    assert turns(first)[2] == (
        "user",
        "That sorts ascending, so it gives the ten smallest. I asked for the highest.",
    )
    assert first.external_id == "6f1c2a0e9b8d4c7e8a3b5d2f1e0c9a87"
    assert first.metadata == {"model": "vicuna-13b", "language": "English"}
    assert second.external_id == "0b9e8d7c6a5f4e3d2c1b0a9f8e7d6c5b"
    assert turns(second) == [
        ("user", "What is the capital of Australia?"),
        ("assistant", "The capital of Australia is Canberra."),
    ]


def test_a_wildchat_record_is_named_by_its_hash_and_keeps_no_ip_or_header() -> None:
    conversations, errors = parse("openai", (LOGS / "wildchat.jsonl").read_bytes(), "wildchat.jsonl")
    assert errors == []
    first = conversations[0]
    assert first.external_id == "9d2e4f6a8b0c1d3e5f7a9b1c3d5e7f90"
    assert first.metadata == {"model": "gpt-4-0314", "language": "English"}
    assert turns(first)[1] == ("assistant", "You can use \\d{4} to match four digits.")
    stored = json.dumps([first.metadata, [(t.text, t.blocks) for t in first.turns]])
    for extra in ("hashed_ip", "3c1f0e6d2b", "Bavaria"):
        assert extra not in stored


def test_a_bad_message_is_named_by_its_place_in_the_conversation() -> None:
    record = {
        "conversation_hash": "h",
        "conversation": [{"role": "user", "content": "Hi"}, {"role": "robot", "content": "Hello"}],
    }
    conversations, errors = parse("openai", jsonl({"conversation": [{"role": "user", "content": "ok"},
                                                                    {"role": "assistant", "content": "fine"}]},
                                                  record))  # fmt: skip
    assert len(conversations) == 1
    assert errors_of(errors) == [
        (2, None, 'conversation[1].role: expected "system", "user", "assistant" or "tool", got "robot"')
    ]


def test_a_conversation_key_of_another_shape_is_not_taken_for_a_chat_log() -> None:
    # ShareGPT's `conversations` and an object under `conversation` are not this shape.
    assert detect_format(jsonl({"conversation": {"id": 1}, "title": "x"}), "a.jsonl") is None
    assert detect_format(jsonl({"conversation": ["hi", "hello"]}), "a.jsonl") is None
    assert (
        detect_format(jsonl({"conversations": [{"from": "human", "value": "hi"}]}), "a.jsonl") == "sharegpt"
    )


def test_a_record_longer_than_the_head_is_still_detected() -> None:
    long = "word " * 20_000
    head = jsonl({"conversation_hash": "h", "conversation": [{"role": "user", "content": long},
                                                             {"role": "assistant", "content": "ok"}]})  # fmt: skip
    assert len(head) > 65536
    assert detect_format(head[:65536], "big.jsonl") == "openai"


def test_importing_both_logs_stores_their_conversations_and_finds_the_pushback_pairs(engine: Engine) -> None:
    summary = run_import(engine, paths=[LOGS])
    assert (summary.conversations_added, summary.error_count) == (4, 0)
    assert {report["format"] for report in summary.file_reports} == {"openai"}
    with Session(engine) as session:
        ids = set(session.execute(select(col(Conversation.external_id))).scalars())
        pairs = session.execute(select(col(Pair.id))).scalars().all()
    assert {"9d2e4f6a8b0c1d3e5f7a9b1c3d5e7f90", "6f1c2a0e9b8d4c7e8a3b5d2f1e0c9a87"} <= ids
    assert len(pairs) == 2
    again = run_import(engine, paths=[LOGS])
    assert (again.conversations_added, again.duplicates) == (0, 4)
