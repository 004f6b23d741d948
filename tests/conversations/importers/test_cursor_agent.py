"""Cursor's agent transcripts (`~/.cursor/projects/<project>/agent-transcripts/`): the fixtures
(tests/fixtures/real_formats/cursor_agent/) are written by hand in the shapes found in real repositories and in the
readers other tools publish: the JSON Lines form (`{"role", "message": {"content": [blocks]}}`, the person's words in
`<user_query>` tags, one line per agent step, no tool results) and the older text form (`user:` / `assistant:`,
`[Thinking]`, `[Tool call]` with its arguments indented, `[Tool result]` alone)."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.files import NotConversation, iter_input_files
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "cursor_agent"
FOLDER = ROOT / ".cursor" / "projects" / "home-ana-shop" / "agent-transcripts"
(JSONL,) = FOLDER.rglob("*.jsonl")
TEXT = FOLDER / "0f9e8d7c-legacy.txt"


def _read(path: Path) -> ParsedConversation:
    (chat,) = get_importer("cursor-agent").parse(io.BytesIO(path.read_bytes()), str(path))
    assert isinstance(chat, ParsedConversation)
    return chat


def _queued(chat: ParsedConversation) -> set[tuple[int, int | None, int]]:
    return {
        (p.rejected, p.pushback, p.chosen) for p in find_pairs(chat) if p.detected and p.detected.score >= 0.5
    }


def test_both_forms_are_detected() -> None:
    for path in (JSONL, TEXT):
        assert detect_format(path.read_bytes()[:65536], path.name) == "cursor-agent"


def test_a_jsonl_transcript_joins_the_agents_steps_into_answers() -> None:
    chat = _read(JSONL)
    assert chat.external_id == "7c1e2d3a-0b4f-4e5a-9c6d-1a2b3c4d5e6f"
    assert chat.title == "add a health check endpoint to the api"
    said = turns(chat)
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert (
        said[2][1] == "that route skips the database, the load balancer needs to know when postgres is down"
    )
    assert [b["type"] for b in chat.turns[1].blocks or []] == ["text", "tool_use", "text", "tool_use"]
    assert (1, 2, 3) in _queued(chat)


def test_the_older_text_form_reads_thinking_calls_and_bare_results() -> None:
    chat = _read(TEXT)
    said = turns(chat)
    assert said[0] == ("user", "rename the config loader to load_settings")
    assert said[1][1] == (
        "I'll look for every caller of load_config.\n\n"
        "Renamed `load_config` to `load_settings` in `config.py` and its one caller in `src/app.py`."
    )
    blocks = chat.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "text", "tool_use", "tool_result", "text"]
    assert blocks[0]["thinking"] == "The person wants a rename; find every caller first."
    assert blocks[2]["name"] == "Grep"
    assert blocks[2]["input"] == {"pattern": "load_config", "path": "src", "description": "Find the callers"}
    assert (1, 2, 3) in _queued(chat)


def test_a_line_of_another_shape_is_named_and_an_unanswered_transcript_skipped() -> None:
    data = b'{"role": "user", "message": {"content": [{"type": "text", "text": "<user_query>hi</user_query>"}]}}\n{"x": 1}\n'
    results = list(get_importer("cursor-agent").parse(io.BytesIO(data), "a.jsonl"))
    assert [(r.line, r.reason) for r in results if isinstance(r, RecordError)] == [
        (2, 'expected {"role", "message": {"content": [...]}}, got x')
    ]
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Cursor agent transcript without a prompt and an answer"
    ]


def test_the_cursor_folder_reads_its_transcripts_and_skips_its_settings(engine: Engine) -> None:
    skipped = [item for item in iter_input_files([ROOT]) if isinstance(item, NotConversation)]
    assert [(Path(item.name).name, item.reason) for item in skipped] == [
        ("mcp.json", "Cursor settings, rules or caches, not agent transcripts")
    ]
    summary = run_import(engine, paths=[ROOT], source="cursor", workers=0)
    assert (summary.conversations_added, summary.error_count) == (2, 0)
    assert run_import(engine, paths=[ROOT], source="cursor", workers=0).conversations_added == 0
