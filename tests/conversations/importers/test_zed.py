"""Zed's saved text threads (`<summary> - <n>.zed.json`): fixture in tests/fixtures/real_formats/zed/, written in
the shape of Zed's `SavedTextThread` (one text, messages at byte offsets into it, German text with multi-byte
characters so a character offset would cut wrongly)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "zed"
THREAD = ROOT / "Feierabend auf Englisch - 1.zed.json"


def _parse(data: bytes) -> list[object]:
    return list(get_importer("zed").parse(io.BytesIO(data), "threads/x.zed.json"))


def test_a_thread_reads_its_messages_at_their_byte_offsets() -> None:
    data = THREAD.read_bytes()
    assert detect_format(data, "thread.json") == "zed"
    (conversation,) = _parse(data)
    assert isinstance(conversation, ParsedConversation)
    assert (conversation.external_id, conversation.title) == (
        "9c7f2a10-5b3e-4e21-8f6a-0d4c2b1a9e87",
        "Feierabend auf Englisch",
    )
    assert conversation.system_prompt == "Answer briefly."
    assert turns(conversation) == [
        ("user", "Wie übersetze ich „Feierabend“ ins Englische?"),
        ("assistant", "„Quitting time“."),
        ("user", "das klingt nach Arbeitsende, ich meine das Gefühl danach"),
        (
            "assistant",
            "Dann eher „the end of the working day“ \u2013 das entspannte Gefühl danach hat kein genaues englisches Wort.",
        ),
    ]


def test_bad_messages_are_named() -> None:
    thread = json.loads(THREAD.read_text())
    thread["messages"][2]["metadata"]["role"] = "model"
    (error,) = _parse(json.dumps(thread).encode())
    assert isinstance(error, RecordError)
    assert error.reason == 'messages[2].metadata.role: expected "user", "assistant" or "system", got "model"'
    thread["messages"][2]["metadata"]["role"] = "user"
    thread["messages"][2]["start"] = 10_000
    (error,) = _parse(json.dumps(thread).encode())
    assert isinstance(error, RecordError)
    assert error.reason.startswith("messages[2].start: 10000 is outside the thread's text")


def test_import_stores_the_pair_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="zed", workers=0)
    assert (summary.conversations_added, summary.errors) == (1, [])
    assert run_import(engine, paths=[ROOT], source="zed", workers=0).conversations_added == 0
