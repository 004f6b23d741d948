"""ChatGPT canvas (`canmore`) documents in the data export: tests/fixtures/real_formats/chatgpt_canvas/, written by
hand in the shape real exports in public repositories show (a `code` message to `canmore.create_textdoc` holding
`{name, type, content}`, the tool's "Successfully created" reply, the assistant's chat note; `update_textdoc`
regular-expression updates; an older export's document as the first part)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import get_importer
from app.conversations.importers.base import ParsedConversation
from app.conversations.importers.chatgpt import _js_replacement, _updated
from app.conversations.importing import run_import

from .helpers import turns

EXPORT = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "real_formats"
    / "chatgpt_canvas"
    / "conversations.json"
)
LETTER = "Dear hiring team,\n\nI am applying for the data analyst role. I have {}.\n\nBest regards"


def _parse(export: Any) -> list[ParsedConversation]:
    results = list(
        get_importer("chatgpt").parse(io.BytesIO(json.dumps(export).encode()), "conversations.json")
    )
    assert all(isinstance(r, ParsedConversation) for r in results), results
    return results  # type: ignore[return-value]  # checked just above


def test_the_document_after_each_edit_is_the_answer_after_its_note() -> None:
    letter, code = _parse(json.loads(EXPORT.read_bytes()))
    assert turns(letter) == [
        ("user", "Write a short cover letter for a data analyst job."),
        (
            "assistant",
            "I've drafted the letter in the canvas.\n\n" + LETTER.format("five years of Excel experience"),
        ),
        ("user", "that's wrong, I have three years of SQL, not five years of Excel"),
        (
            "assistant",
            "Fixed: it now says three years of SQL.\n\n"
            + LETTER.format("three years of SQL experience, and I build my reports in Excel"),
        ),
    ]
    # The comment and the update whose pattern does not compile are counted, and change nothing.
    assert letter.dropped == {"canvas": 2}
    # An older export's document as the first part, code in a fenced block, no note after it.
    assert turns(code)[1] == ("assistant", "```python\ndef dedupe(items):\n    return list(set(items))\n```")


def test_javascript_replacements_and_failed_updates() -> None:
    assert _js_replacement("One more $1 line") == "One more \\g<1> line"
    assert _js_replacement("a\\b $$ [$&]") == "a\\\\b $ [\\g<0>]"
    document = "# Draft\n\nThe draft says hi.\n\nAnother draft line"
    updates = [
        {"pattern": "\\bdraft\\b", "multiple": True, "replacement": "final cut"},
        {"pattern": "Another (\\w+) (\\w+) line", "replacement": "One more $1 $2 line"},
        {"pattern": "(unclosed", "replacement": "never applied"},
        {"pattern": "Draft", "replacement": "also never applied"},
    ]
    assert _updated(document, updates) == "# Draft\n\nThe final cut says hi.\n\nOne more final cut line"
    assert _updated(document, [{"pattern": "nowhere", "replacement": "x"}]) is None
    assert _updated(document, "not a list") is None


@pytest.mark.parametrize("bad", [{"text": "not json"}, {"text": "[1, 2]"}, {"parts": []}, None])
def test_an_unreadable_canvas_message_is_counted(bad: Any) -> None:
    export = json.loads(EXPORT.read_bytes())
    export[0]["mapping"]["a1"]["message"]["content"] = bad
    letter = _parse(export)[0]
    # Without its document there is nothing to update: both count as dropped, the notes stay.
    assert letter.dropped == {"canvas": 4}
    assert turns(letter)[1] == ("assistant", "I've drafted the letter in the canvas.")


def test_the_revision_in_the_canvas_is_a_pair(engine: Engine) -> None:
    summary = run_import(engine, paths=[EXPORT], source="canvas", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
