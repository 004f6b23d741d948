"""Perplexity threads as perplexport saves them: the fixture (tests/fixtures/real_formats/perplexity/) is written by
hand from the exporter's types: three entries (question and `ask_text` answer each), sources and an image beside the
answers, a pushback in the second question, the last answer only in its chunks, two models and modes."""

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

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "perplexity"
(THREAD,) = ROOT.glob("*.json")


def _parse(data: bytes) -> list[object]:
    return list(get_importer("perplexity").parse(io.BytesIO(data), THREAD.name))


def test_each_entry_is_a_question_and_its_answer() -> None:
    assert detect_format(THREAD.read_bytes(), THREAD.name) == "perplexity"
    (chat,) = _parse(THREAD.read_bytes())
    assert isinstance(chat, ParsedConversation)
    assert (chat.external_id, chat.title, chat.metadata) == (
        "why-does-my-sourdough-collapse-Hk2Pq8sTRe6yWm1nZc0aVw",
        "Why does my sourdough collapse in the oven?",
        {"models": ["pplx_pro", "turbo"], "modes": ["COPILOT", "CONCISE"]},
    )
    assert [role for role, _ in turns(chat)] == ["user", "assistant"] * 3
    # `answer` once, not again from its chunks; the last answer has only chunks.
    assert turns(chat)[3][1].count("Then it is **overproofed**") == 1
    assert turns(chat)[5][1] == (
        "At least one hour, ideally two: the crumb is still setting as steam leaves the loaf, and slicing it hot "
        "makes it gummy."
    )
    assert chat.dropped == {"source": 3, "image": 1}
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_a_bad_entry_is_an_error_naming_its_field() -> None:
    thread = json.loads(THREAD.read_bytes())
    thread["entries"][1]["query_str"] = None
    assert _parse(json.dumps(thread).encode()) == [
        RecordError("entries[1].query_str: expected a string, got null", json_path="$")
    ]
    thread["entries"] = [{**thread["entries"][0], "blocks": []}]
    assert _parse(json.dumps(thread).encode()) == [
        Skipped("Perplexity thread without a question and an answer")
    ]


def test_the_thread_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="perplexity", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="perplexity", workers=0).conversations_added == 0
