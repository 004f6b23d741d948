"""Claude Managed Agents sessions (`managed-agents`): the fixture (tests/fixtures/real_formats/managed_agents/) is written
by hand in the shape of the Managed Agents API's event list (`{id, type, processed_at, ...}`); the harness's wrapper
(`{"role", "kind", "time", "raw": <event>}`) is the shape of a real eval's log."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "managed_agents"
EVENTS = ROOT / "sesn_011CZkZAtmR3yMPDzynEDxu7.jsonl"


def _parse(data: bytes, name: str = "events.jsonl") -> list[object]:
    return list(get_importer("managed-agents").parse(io.BytesIO(data), name))


def test_an_event_log_is_one_conversation_with_its_calls_results_and_pair() -> None:
    assert detect_format(EVENTS.read_bytes(), EVENTS.name) == "managed-agents"
    (chat,) = _parse(EVENTS.read_bytes(), EVENTS.name)
    assert isinstance(chat, ParsedConversation)
    assert chat.external_id == "sesn_011CZkZAtmR3yMPDzynEDxu7"
    assert turns(chat) == [
        ("user", "Count the rows of data/orders.csv, without the header."),
        ("assistant", "data/orders.csv has 1201 rows."),
        ("user", "that's wrong, 1201 counts the header line too"),
        ("assistant", "You're right, sorry: without the header, data/orders.csv has 1200 rows."),
    ]
    blocks = chat.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["tool_use", "tool_result", "text"]
    assert blocks[1]["tool_use_id"] == "sevt_05"
    assert chat.dropped == {"message between threads": 1}
    found = [
        (p.rejected, p.pushback, p.chosen) for p in find_pairs(chat) if p.detected and p.detected.score >= 0.5
    ]
    assert found == [(1, 2, 3)]


def test_a_harness_wrapper_a_page_of_events_and_a_define_outcome_task() -> None:
    wrapped = [
        {"role": "system", "kind": "status_running", "time": 1, "raw": {"id": "e1", "type": "session.status_running", "processed_at": "2026-05-02T10:00:00Z"}},
        {"role": "user", "kind": "define_outcome", "time": 2,
         "raw": {"id": "e2", "type": "user.define_outcome", "processed_at": "2026-05-02T10:00:01Z",
                 "description": "Audit the paper's code.",
                 "rubric": {"type": "text", "content": "a reproduction repository"}}},
        {"role": "agent", "kind": "message", "time": 3, "content": "I'll start with the DOI.",
         "raw": {"id": "e3", "type": "agent.message", "processed_at": "2026-05-02T10:00:02Z",
                 "content": [{"type": "text", "text": "I'll start with the DOI."}]}},
    ]  # fmt: skip
    data = "\n".join(json.dumps(line) for line in wrapped).encode()
    assert detect_format(data, "transcript.jsonl") == "managed-agents"
    (chat,) = _parse(data, "transcript.jsonl")
    assert isinstance(chat, ParsedConversation)
    assert turns(chat) == [("user", "Audit the paper's code."), ("assistant", "I'll start with the DOI.")]
    page = json.dumps({"data": [line["raw"] for line in wrapped], "next_page": None}).encode()
    assert detect_format(page, "events.json") == "managed-agents"
    (paged,) = _parse(page, "events.json")
    assert isinstance(paged, ParsedConversation)
    assert turns(paged) == turns(chat)


def test_an_odd_record_is_named_and_a_log_without_an_answer_skipped() -> None:
    data = b'{"id": "e1", "type": "user.message", "processed_at": "t", "content": [{"type": "text", "text": "hi"}]}\n{"x": 1}\n'
    results = _parse(data)
    assert [(r.line, r.reason) for r in results if isinstance(r, RecordError)] == [
        (2, "expected a session event ({id, type: user.* or agent.*, processed_at})")
    ]
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "Managed Agents session without a prompt and an answer"
    ]


def test_the_log_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="managed-agents", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert run_import(engine, paths=[ROOT], source="managed-agents", workers=0).conversations_added == 0
