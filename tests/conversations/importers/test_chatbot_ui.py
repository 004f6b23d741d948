"""Chatbot UI's export (`chatbot_ui_history[_<month>-<day>].json`): fixtures in
tests/fixtures/real_formats/chatbot_ui/, written by hand in the shapes of its `exportData` (version 4 with
folders and prompts, pretty-printed; the early compact `{history, folders}`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import errors_of, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "chatbot_ui"
V4 = ROOT / "chatbot_ui_history_3-14.json"
EARLY = ROOT / "chatbot_ui_history.json"


def _parse(data: bytes) -> list[object]:
    return list(get_importer("chatbot-ui").parse(io.BytesIO(data), "export.json"))


def test_exports_are_detected_by_content() -> None:
    assert detect_format(V4.read_bytes(), "export.json") == "chatbot-ui"
    assert detect_format(EARLY.read_bytes(), "export.json") == "chatbot-ui"


def test_each_conversation_of_the_history_is_read() -> None:
    results = _parse(V4.read_bytes())
    (regex,) = [r for r in results if isinstance(r, ParsedConversation)]
    assert (regex.external_id, regex.title) == (
        "7a1c2e3f-1111-4a2b-8c3d-0e1f2a3b4c5d",
        "Regex for UK postcodes",
    )
    assert regex.json_path == "$.history[0]"
    assert (regex.system_prompt or "").startswith("You are ChatGPT")
    assert regex.metadata == {"model": "gpt-4", "temperature": 0.5}
    assert turns(regex)[2][1].startswith("that rejects M1 1AE and B33 8TH")
    (pair,) = [p for p in find_pairs(regex) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Chatbot UI conversation without a prompt and an answer"
    ]
    (early,) = [r for r in _parse(EARLY.read_bytes()) if isinstance(r, ParsedConversation)]
    assert early.title == "Postcodes (legacy)"


def test_a_conversation_that_cannot_be_read_is_an_error_at_its_path() -> None:
    export = json.loads(V4.read_bytes())
    export["history"][1]["messages"] = "hi"
    errors = [r for r in _parse(json.dumps(export).encode()) if isinstance(r, RecordError)]
    assert errors_of(errors) == [(None, "$.history[1]", "messages: expected a list, got a string")]


def test_the_exports_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="chatbot-ui", workers=0)
    # The early export holds the same talk as the later one: stored once.
    assert (summary.conversations_added, summary.duplicates, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="chatbot-ui", workers=0).conversations_added == 0
