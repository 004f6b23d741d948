"""A session written out as numbered prompts and responses by a person's own export script (`prompt-log`). The
fixture (tests/fixtures/real_formats/prompt_log/prompt_history.md) is written by hand in the shape of a real Codex
session's export: the agent's environment block as the first prompt, an answer the script could not find, a prompt
that pastes an entry of the same format."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import
from app.pairs.findings import find_pairs

from .helpers import parse, parse_one, turns

LOG = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "prompt_log" / "prompt_history.md"


def test_a_prompt_log_is_detected_by_its_first_entry() -> None:
    assert detect_format(LOG.read_bytes()[:65536], LOG.name) == "prompt-log"
    assert detect_format(b"Prompt: hello\nResponse:\nhi\n", "notes.md") != "prompt-log"


def test_entries_are_the_turns_without_the_tools_context_or_unanswered_prompts() -> None:
    chat = parse_one("prompt-log", LOG.read_bytes(), str(LOG))
    said = turns(chat)
    assert [role for role, _ in said] == ["user", "assistant"] * 3
    assert said[0] == (
        "user",
        "Make a small web page that sums my monthly expenses from a CSV file.\nThe CSV has columns date,category,amount.",
    )
    assert said[3][1].startswith("Fixed the parsing: `sum.js` now uses a small CSV reader")
    assert chat.dropped == {"context": 1, "unanswered prompt": 1}
    assert chat.metadata == {"started_at": "2025-11-02T09:00:01.100000+01:00"}
    assert chat.external_id == "prompt_history.md"


def test_a_prompt_that_pastes_an_entry_keeps_it_as_its_words() -> None:
    said = turns(parse_one("prompt-log", LOG.read_bytes(), str(LOG)))
    assert said[4][1] == (
        "My export script wrote this, is the format right?\n\nPrompt #1:\nTimestamp: 2025-11-01T10:00:00+01:00\n"
        "Prompt: hello\nResponse:\nHi!\n\nI want the timestamps in local time."
    )
    assert said[5][1].startswith("Yes, the format is right.")


def test_the_pushback_on_the_first_answer_is_found() -> None:
    chat = parse_one("prompt-log", LOG.read_bytes(), str(LOG))
    found = {
        (p.rejected, p.pushback, p.chosen) for p in find_pairs(chat) if p.detected and p.detected.score >= 0.5
    }
    assert (1, 2, 3) in found


def test_a_log_of_unanswered_prompts_is_skipped() -> None:
    data = b"Prompt #1:\nTimestamp: 2025-11-02T09:00:00Z\nPrompt: hello\nResponse:\n[no response captured]\n"
    assert parse("prompt-log", data, "prompt_history.md") == ([], [])


def test_the_log_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[LOG], source="prompt-log", workers=0)
    assert (summary.conversations_added, summary.error_count) == (1, 0)
    assert run_import(engine, paths=[LOG], source="prompt-log", workers=0).conversations_added == 0
