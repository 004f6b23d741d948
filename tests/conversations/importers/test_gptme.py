"""gptme's conversation logs: the fixture (tests/fixtures/real_formats/gptme/) is written by hand in the shape of
gptme's `Message.to_dict` and its tools: the pinned system prompt and the project's context, a prompt with a file,
shell and patch blocks answered by `system` messages, a `ui_only` token count, a correction, two models."""

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

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "gptme"
(LOG,) = ROOT.rglob("conversation.jsonl")


def test_a_log_is_one_conversation_whose_later_system_messages_are_tool_output() -> None:
    assert detect_format(LOG.read_bytes(), "conversation.jsonl") == "gptme"
    (chat,) = get_importer("gptme").parse(LOG.open("rb"), str(LOG))
    assert isinstance(chat, ParsedConversation)
    assert (chat.external_id, chat.title) == ("2025-06-01-fix-csv-export", "2025-06-01-fix-csv-export")
    assert chat.system_prompt is not None
    assert chat.system_prompt.startswith("You are gptme")
    assert "## Current Project: reports" in chat.system_prompt
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant"]
    blocks = chat.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["text", "tool_result", "text", "tool_result"]
    assert blocks[1]["content"].startswith("Ran command: `grep -n amount reports/export.py`")
    assert "Tokens:" not in str(chat.turns)  # ui_only: never sent to the model
    assert (chat.turns[3].blocks or [])[-1]["tool_use_id"] == "call_77"
    assert chat.dropped == {"file": 1}
    assert chat.metadata == {"models": ["anthropic/claude-sonnet-4-20250514", "openai/gpt-4o"]}
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_a_bad_line_is_named_and_a_log_without_an_answer_skipped() -> None:
    data = LOG.read_bytes().splitlines()
    broken = b"\n".join(
        [*data[:3], b'{"role": "tool", "content": "x", "timestamp": "2025-06-01T09:00:11"}', b"{oops"]
    )
    results = list(get_importer("gptme").parse(io.BytesIO(broken), "conversation.jsonl"))
    assert [(r.reason, r.line) for r in results if isinstance(r, RecordError)] == [
        ('role: expected "system", "user" or "assistant", got "tool"', 4),
        ("invalid JSON: unexpected character, expected a string key at character 1", 5),
    ]
    assert results[-1] == Skipped("gptme log without a prompt and an answer")


def test_an_array_of_such_messages_is_not_a_gptme_log() -> None:
    # chatgpt-cli keeps each thread as a JSON array of {role, content, timestamp}: OpenAI messages, read as such.
    lines = [json.loads(line) for line in LOG.read_bytes().splitlines()][:4]
    assert detect_format(json.dumps(lines).encode(), "default.json") == "openai"


def test_the_log_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="gptme", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="gptme", workers=0).conversations_added == 0
