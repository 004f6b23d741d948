"""aider's LLM history (`--llm-history-file`): fixtures in tests/fixtures/real_formats/aider_llm/, written in
the shape of aider's `io.log_llm_history` and `utils.format_messages` (a real public file checked for it): a
question in ask mode, the pushback and the revision, the change made in code mode with aider's reminder
appended, a commit-message request, an interrupted request, a new chat, a chat summary request."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "aider_llm"
HISTORY = ROOT / ".aider.llm.history"
REQUEST = b"TO LLM 2025-03-10T09:14:02\n-------\nUSER hi\n"


def _parse(data: bytes, name: str = ".aider.llm.history") -> list[object]:
    return list(get_importer("aider-llm").parse(io.BytesIO(data), name))


def test_the_log_is_detected_by_content_whatever_its_name() -> None:
    data = HISTORY.read_bytes()
    assert detect_format(data, ".aider.llm.history") == "aider-llm"
    assert detect_format(data, "logs/llm.txt") == "aider-llm"
    # A note that mentions the header, or a header without a message after it, is not the log.
    assert detect_format(b"TO LLM 2025-03-10T09:14:02\nhello\n", "notes.txt") != "aider-llm"
    assert detect_format(b"# notes\nTO LLM 2025-03-10T09:14:02\n-------\n", "notes.md") != "aider-llm"


def test_each_chat_is_read_from_its_requests_and_answers() -> None:
    results = _parse(HISTORY.read_bytes(), "proj/.aider.llm.history")
    chats = [r for r in results if isinstance(r, ParsedConversation)]
    skipped = sorted(r.reason for r in results if isinstance(r, Skipped))
    # aider's own requests are not conversations; the interrupted request was asked again and answered.
    assert skipped == ["aider chat-summary request", "aider commit-message request"]
    assert not [r for r in results if isinstance(r, RecordError)]
    first, second = chats
    assert first.external_id == "proj/.aider.llm.history@2025-03-10T09:14:02#1"
    assert (first.line, first.metadata) == (1, {"started_at": "2025-03-10T09:14:02"})
    assert first.title == "Why does apply_discount(100, 15) return -1400?"
    # The system prompt is the first request's; the repo map, the files and their canned "Ok" are not turns.
    assert (first.system_prompt or "").startswith("Act as an expert code analyst.")
    texts = turns(first)
    assert [role for role, _ in texts] == ["user", "assistant"] * 3
    assert texts[1][1].startswith("`percent` is used as a fraction")
    assert texts[2][1].startswith("no, every caller passes whole percents like 15")
    assert texts[3][1].startswith("You're right, the callers should keep passing whole percents.")
    # aider's reminder appended to the message (the system prompt holds it) is cut off.
    assert texts[4] == ("user", "ok, make that change")
    assert texts[5][1].startswith("billing/invoice.py\n````python\n<<<<<<< SEARCH")
    # After /clear the next request does not carry the last answer: another chat, in German, whole.
    assert second.external_id.endswith("@2025-03-10T10:02:55#177")
    assert turns(second)[0] == (
        "user",
        "Wie lese ich in Python eine CSV-Datei mit Semikolon als Trennzeichen? Umlaute wie ä, ö, ü müssen stimmen.",
    )
    assert turns(second)[1][1].endswith("        print(zeile)\n```")


def test_the_pushback_and_the_revision_make_a_pair() -> None:
    first = next(r for r in _parse(HISTORY.read_bytes()) if isinstance(r, ParsedConversation))
    (pair,) = [
        p for p in find_pairs(first) if p.detected is not None and p.detected.score >= DEFAULT_THRESHOLD
    ]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_a_reminder_the_system_prompt_does_not_hold_is_kept() -> None:
    data = (
        b"TO LLM 2025-03-10T09:14:02\n-------\nSYSTEM Be brief.\n-------\n"
        b"USER Rename the function.\nUSER \nUSER Keep the old name as an alias for one release, then remove it.\n"
        b"LLM RESPONSE 2025-03-10T09:14:05\nASSISTANT Done: `total()` is now `sum_lines()`, with `total = sum_lines`.\n"
    )
    (chat,) = _parse(data)
    assert isinstance(chat, ParsedConversation)
    assert turns(chat)[0] == (
        "user",
        "Rename the function.\n\nKeep the old name as an alias for one release, then remove it.",
    )


def test_errors_name_their_line() -> None:
    for data, line, reason in (
        (b"hello\nthere\n" + REQUEST, 1, "text before the first request (TO LLM)"),
        (REQUEST + b"-------\nBOT hello\n", 5, "a message line must start with SYSTEM, USER or ASSISTANT, got 'BOT'"),
        (b"LLM RESPONSE 2025-03-10T09:14:05\nASSISTANT hi\n", 1,
         "an answer (LLM RESPONSE) before any request (TO LLM)"),
        (REQUEST + b"-------\nUSER caf\xe9\n", 5, "not valid UTF-8 at byte 8"),
    ):  # fmt: skip
        errors = [r for r in _parse(data) if isinstance(r, RecordError)]
        assert [(e.line, e.reason) for e in errors] == [(line, reason)], data


def test_a_request_without_an_answer_is_no_conversation() -> None:
    assert _parse(REQUEST) == []


def test_the_folder_imports_with_the_input_history_skipped_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="aider", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.errors) == (2, 1, [])
    assert dict(summary.skipped) == {
        "aider input history (the prompts typed, no answers)": 1,
        "aider commit-message request": 1,
        "aider chat-summary request": 1,
    }
    assert run_import(engine, paths=[ROOT], source="aider", workers=0).conversations_added == 0
