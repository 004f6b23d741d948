"""ChatHub's export (`chathub.json`, the extension's storage): the fixture (tests/fixtures/real_formats/chathub/)
is written by hand in the shape of its `exportData` and chat history keys (two bots, a failed answer, an image)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "chathub"
EXPORT = ROOT / "chathub.json"


def test_each_bots_chat_is_a_conversation() -> None:
    assert detect_format(EXPORT.read_bytes(), "export.json") == "chathub"
    results = list(get_importer("chathub").parse(EXPORT.open("rb"), EXPORT.name))
    (claude,) = [r for r in results if isinstance(r, ParsedConversation)]
    assert claude.external_id == "claude:zq81mc"
    assert claude.metadata == {"bot": "claude", "created_at_ms": 1765200000000}
    assert turns(claude)[1] == ("assistant", "« Casse-toi une jambe. »")
    (pair,) = [p for p in find_pairs(claude) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    # The other bot only failed: no answer, so no conversation.
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "ChatHub chat without a prompt and an answer"
    ]


def test_the_export_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="chathub", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="chathub", workers=0).conversations_added == 0
