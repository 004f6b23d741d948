"""Sourcegraph Cody's chat export: the fixtures (tests/fixtures/real_formats/cody/) are written by hand in the shape
of its `downloadChatHistory` and `SerializedChatTranscript`: the current export (an array of chats, a prompt with an
@-mentioned file, a correction, a last prompt whose answer never came, an empty chat) and the earlier one (the
whole history object)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "cody"
CURRENT = ROOT / "cody-chat-history-2025-04-12T10-05-44.json"
EARLIER = ROOT / "cody-chat-history-2024-02-03T12-10-00.json"


def _parse(data: bytes) -> list[object]:
    return list(get_importer("cody").parse(io.BytesIO(data), "export.json"))


def test_each_chat_of_the_export_is_a_conversation() -> None:
    assert detect_format(CURRENT.read_bytes(), CURRENT.name) == "cody"
    chat, empty = _parse(CURRENT.read_bytes())
    assert empty == Skipped("Cody chat without a prompt and an answer")
    assert isinstance(chat, ParsedConversation)
    assert (chat.external_id, chat.title, chat.json_path) == (
        "2025-04-11T08:12:30.512Z",
        "Debounce the search box",
        "$[0]",
    )
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant", "user"]
    assert chat.turns[4].text == "and in React?"
    assert chat.dropped == {"context_file": 1}
    assert chat.metadata == {"models": ["anthropic::2024-10-22::claude-3-5-sonnet-latest"]}
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_the_earlier_export_holds_the_history_object() -> None:
    assert detect_format(EARLIER.read_bytes(), EARLIER.name) == "cody"
    (chat,) = _parse(EARLIER.read_bytes())
    assert isinstance(chat, ParsedConversation)
    assert chat.json_path == '$.chat["2024-02-03T12:00:00.000Z"]'
    assert chat.title == "What does `git rebase -i HEAD~3` do?"
    assert turns(chat)[1][1].startswith("It opens an editor")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda c: c[0].update(interactions={}), ("interactions: expected a list, got an object", "$[0]")),
        (
            lambda c: c[0]["interactions"].insert(0, 3),
            ("interactions[0]: expected an object, got a number", "$[0]"),
        ),
        (
            lambda c: c[0]["interactions"][0].update(humanMessage="hi"),
            ("interactions[0].humanMessage: expected a message object, got a string", "$[0]"),
        ),
    ],
)
def test_a_damaged_chat_is_named_and_the_others_kept(change: object, reason: tuple[str, str]) -> None:
    chats = json.loads(CURRENT.read_bytes())
    change(chats)  # type: ignore[operator]
    results = _parse(json.dumps(chats).encode())
    assert [(r.reason, r.json_path) for r in results if isinstance(r, RecordError)] == [reason]
    assert isinstance(results[1], Skipped)


def test_the_exports_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="cody", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert run_import(engine, paths=[ROOT], source="cody", workers=0).conversations_added == 0
