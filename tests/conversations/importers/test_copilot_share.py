"""GitHub Copilot CLI's `/share` Markdown, written by hand in the shape of exports people committed (2026): events
opened by their elapsed time and a `### ` heading, tool calls with their arguments and output, the CLI's warnings."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation
from app.conversations.importing import run_import

from .helpers import turns

SHARE = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "real_formats"
    / "copilot_share"
    / "copilot-session-5f1c.md"
)


def _read(data: bytes) -> ParsedConversation:
    (conversation,) = list(get_importer("copilot-share").parse(io.BytesIO(data), "share.md"))
    assert isinstance(conversation, ParsedConversation)
    return conversation


def test_a_share_is_detected_with_or_without_the_emoji() -> None:
    data = SHARE.read_bytes()
    assert detect_format(data, "copilot-session-5f1c.md") == "copilot-share"
    plain = data.replace("# 🤖 Copilot CLI Session".encode(), b"# Copilot CLI Session")
    assert detect_format(plain, "session.md") == "copilot-share"


def test_events_are_prompts_and_answers_with_tool_calls_as_blocks() -> None:
    conversation = _read(SHARE.read_bytes())
    assert conversation.external_id == "5f1c0a2e-7b3d-4e8f-9a61-2c4d8e0b7f13"
    assert conversation.metadata == {"tool": "copilot-cli", "started": "10/2/2026, 9:03:11 AM"}
    assert conversation.dropped == {"warning": 1}
    assert turns(conversation) == [
        ("user", "why does `make test` fail on a clean checkout?"),
        (
            "assistant",
            "Let me run it and read the error.\n\n`make test` calls `pytest` directly, but a clean checkout has no "
            "virtual environment yet. Run `make install` first.",
        ),
        ("user", "there is no install target, check the Makefile"),
        (
            "assistant",
            "You're right: the target is `setup`, not `install`. Run `make setup`, then `make test`.",
        ),
    ]
    failed = [b for b in conversation.turns[1].blocks or [] if b["type"] != "text"]
    assert failed[0]["input"] == {"command": "make test", "description": "Run the test target"}
    assert failed[1]["is_error"] is True
    assert failed[1]["content"] == "pytest: command not found\nmake: *** [test] Error 127"
    viewed = [b for b in conversation.turns[3].blocks or [] if b["type"] != "text"]
    assert viewed[0]["input"] == {"description": "view the file at /repo/Makefile."}
    assert viewed[1]["content"].startswith("1. test:")


def test_import_stores_the_pair_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[SHARE])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    again = run_import(engine, paths=[SHARE])
    assert (again.conversations_added, again.duplicates) == (0, 1)
