"""Qwen Chat's export (`qwen-chat-export-<ms>.json`): Open WebUI's chats wrapped as `{success, request_id,
data}`, each answer's text in `content_list` by phase. The fixture (tests/fixtures/real_formats/qwen_chat/) is
written by hand in the shape real exports show (a thinking phase, a regenerated answer, a web search)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import errors_of, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "qwen_chat"
(EXPORT,) = ROOT.glob("*.json")


def test_the_wrapped_chats_are_read_with_their_answer_phases() -> None:
    assert detect_format(EXPORT.read_bytes(), EXPORT.name) == "open-webui"
    conversation = parse_one("open-webui", EXPORT.read_bytes(), EXPORT.name)
    assert (conversation.external_id, conversation.title) == (
        "9b2f6c1e-0d4a-4e8b-a7c3-5f1e2d3c4b5a",
        "Tazas a gramos",
    )
    assert conversation.json_path == "$.data[0]"
    # The thread ends at the current answer, not the regenerated one beside it.
    assert turns(conversation) == [
        ("user", "Convierte 3 tazas de harina a gramos."),
        ("assistant", "3 tazas de harina son unos 240 g."),
        ("user", "eso no cuadra, si una taza son 120 g, tres son 360"),
        ("assistant", "Tienes razón: 3 por 120 g = 360 g de harina de trigo común."),
    ]
    assert [b["type"] for b in conversation.turns[1].blocks or []] == ["thinking", "text"]
    assert conversation.dropped == {"web_search": 1}
    (pair,) = [p for p in find_pairs(conversation) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_an_item_that_is_not_a_chat_is_an_error_at_its_path() -> None:
    export = json.loads(EXPORT.read_bytes())
    export["data"].insert(0, [1])
    results = list(get_importer("open-webui").parse(io.BytesIO(json.dumps(export).encode()), EXPORT.name))
    assert errors_of([r for r in results if isinstance(r, RecordError)]) == [
        (None, "$.data[0]", "expected a chat object, got a list")
    ]
    assert len([r for r in results if isinstance(r, ParsedConversation)]) == 1


def test_the_export_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="qwen", workers=0)
    assert (summary.conversations_added, summary.error_count) == (1, 0)
    assert run_import(engine, paths=[ROOT], source="qwen", workers=0).conversations_added == 0
