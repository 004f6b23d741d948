"""Page Assist's backup (`page-assist-<ISO time>.json`): the fixture (tests/fixtures/real_formats/page_assist/)
is written by hand in the shape of its `exportPageAssistData` (messages out of order, a reasoning model's
`<think>`, an attached image, an empty chat, knowledge and prompts that are not chats)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "page_assist"
(BACKUP,) = ROOT.glob("*.json")


def test_each_chat_is_read_in_time_order_with_its_reasoning() -> None:
    assert detect_format(BACKUP.read_bytes(), "backup.json") == "page-assist"
    results = list(get_importer("page-assist").parse(BACKUP.open("rb"), BACKUP.name))
    (chat,) = [r for r in results if isinstance(r, ParsedConversation)]
    assert (chat.external_id, chat.title, chat.json_path) == (
        "pa_1a2b-3c4d-5e6-7f80-9a1b",
        "Capital of Australia",
        "$.chat[0]",
    )
    assert turns(chat)[:2] == [
        ("user", "What is the capital of Australia?"),
        ("assistant", "The capital of Australia is Sydney."),
    ]
    assert [b["type"] for b in chat.turns[1].blocks or []] == ["thinking", "text"]
    assert chat.dropped == {"image": 1}
    assert chat.metadata == {"models": ["deepseek-r1:8b"], "created_at_ms": 1765100000000}
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Page Assist chat without a prompt and an answer"
    ]


def test_the_backup_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="page-assist", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="page-assist", workers=0).conversations_added == 0
