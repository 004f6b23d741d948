"""Chatbot Arena battles as preference pairs: the winner's answer is chosen; ties and battles of several
turns are skipped with their reason.

The fixture (tests/fixtures/real_formats/arena/) is written by hand in the shape of
lmsys/chatbot_arena_conversations (`conversation_a`, `conversation_b`, `winner`, `model_a`, `model_b`, ...).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, turns

BATTLES = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "real_formats"
    / "arena"
    / "chatbot_arena_conversations.jsonl"
)


def test_battles_are_detected_as_preference_rows() -> None:
    assert detect_format(BATTLES.read_bytes()[:65536], BATTLES.name) == "preference"


def test_the_winner_is_chosen_whichever_side_won() -> None:
    conversations, errors = parse("preference", BATTLES.read_bytes(), BATTLES.name)
    assert errors == []
    b_won, a_won = conversations
    # The conversation is the prompt, then the rejected answer, then the chosen one.
    assert turns(b_won) == [
        ("user", "What does the HTTP status 409 mean?"),
        ("assistant", "409 means the server is busy, try later."),
        (
            "assistant",
            "409 Conflict: the request conflicts with the current state of the resource, for example an edit "
            "based on an outdated version.",
        ),
    ]
    assert [(p.rejected, p.chosen) for p in b_won.explicit_pairs or []] == [(1, 2)]
    assert turns(a_won)[1:] == [
        ("assistant", "21 is prime."),
        ("assistant", "23 is the only prime between 20 and 25."),
    ]
    assert b_won.external_id == "58210e39b3fd4441a2bd4a518bb44c2d"
    assert b_won.metadata == {
        "preference": {
            "chosen_model": "koala-13b",
            "rejected_model": "chatglm-6b",
            "judge": "arena_user_973",
            "language": "English",
            "winner": "model_b",
        }
    }


def test_ties_and_battles_of_several_turns_are_skipped_with_their_reason() -> None:
    results = list(get_importer("preference").parse(io.BytesIO(BATTLES.read_bytes()), BATTLES.name))
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Chatbot Arena tie: no answer preferred",
        "Chatbot Arena battle of several turns: the vote is on whole conversations",
    ]
    assert not [r for r in results if isinstance(r, RecordError)]
    assert len([r for r in results if isinstance(r, ParsedConversation)]) == 2


def test_an_unknown_winner_is_named() -> None:
    row = json.loads(BATTLES.read_text().splitlines()[0])
    row["winner"] = "model_c"
    _, errors = parse("preference", jsonl(row))
    assert errors_of(errors) == [(1, None, 'winner: expected "model_a", "model_b" or a tie, got \'model_c\'')]


def test_battles_import_as_pairs_ready_for_review(engine: Engine) -> None:
    summary = run_import(engine, paths=[BATTLES])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert dict(summary.skipped) == {
        "Chatbot Arena tie: no answer preferred": 1,
        "Chatbot Arena battle of several turns: the vote is on whole conversations": 1,
    }
