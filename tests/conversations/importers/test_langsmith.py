"""LangSmith runs saved as JSON Lines: the fixture (tests/fixtures/real_formats/langsmith/) is written by hand in
the shape of the SDK's `Run` (chat model runs with LangChain's serialized messages and an `LLMResult`, a LangGraph
run with `{role, content}` messages and a tool call, a failed run)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "langsmith"
RUNS = ROOT / "runs.jsonl"


def _parse(data: bytes) -> list[object]:
    return list(get_importer("langsmith").parse(io.BytesIO(data), "runs.jsonl"))


def test_runs_are_detected_by_content() -> None:
    assert detect_format(RUNS.read_bytes(), "export.jsonl") == "langsmith"
    # A LangChain message list stays LangChain's.
    assert (
        detect_format(json.dumps([{"type": "human", "data": {"content": "hi"}}]).encode(), "c.json")
        == "langchain"
    )


def test_each_run_is_a_conversation_of_its_prompt_and_answer() -> None:
    results = _parse(RUNS.read_bytes())
    first, second, graph = [r for r in results if isinstance(r, ParsedConversation)]
    assert first.external_id == "0b1c2d3e-0001-4a5b-8c9d-000000000001"
    assert first.system_prompt == "You are a support assistant for the Acme billing API. Answer briefly."
    assert first.metadata == {
        "run_name": "ChatOpenAI",
        "run_type": "llm",
        "model": "gpt-4o-mini",
        "thread_id": "thr-41",
        "started_at": "2025-06-03T14:02:11.120551",
    }
    assert turns(first) == [
        ("user", "Which HTTP status does the API return when an invoice id does not exist?"),
        ("assistant", "It returns 400 Bad Request with the error code `invalid_invoice`."),
    ]
    # The next step of the thread holds the pushback; its answer is a generation's text.
    assert [role for role, _ in turns(second)] == ["user", "assistant", "user", "assistant"]
    assert turns(second)[3][1].startswith(
        "You're right: a well-formed id that matches no invoice returns 404"
    )
    # A graph run's output state continues its input: read once, the tool call and its result kept.
    assert turns(graph) == [
        ("user", "Summarise invoice INV-2291 in one line."),
        ("assistant", "INV-2291: EUR 1,240.50, paid."),
    ]
    blocks = graph.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["tool_use", "tool_result", "text"]
    assert blocks[0]["input"] == {"id": "INV-2291"}
    assert [r.reason for r in results if isinstance(r, Skipped)] == [
        "LangSmith run without an output (failed or still running)"
    ]


def test_a_run_that_cannot_be_read_is_an_error_at_its_line() -> None:
    lines = RUNS.read_text().splitlines()
    broken = json.loads(lines[0])
    broken["outputs"] = {"run": None}
    wrong_role = json.loads(lines[2])
    wrong_role["outputs"]["messages"][1]["role"] = "robot"
    no_inputs = json.loads(lines[0])
    no_inputs["inputs"] = "hello"
    data = "\n".join([json.dumps(broken), json.dumps(wrong_role), json.dumps(no_inputs)]).encode()
    assert errors_of([r for r in _parse(data) if isinstance(r, RecordError)]) == [
        (1, None, "outputs: expected generations or messages"),
        (2, None, 'outputs.messages[1].role: expected "system", "user", "assistant" or "tool", got "robot"'),
        (3, None, "inputs: expected an object, got a string"),
    ]


def test_the_runs_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="langsmith", workers=0)
    assert (summary.conversations_added, summary.error_count) == (3, 0)
    assert run_import(engine, paths=[ROOT], source="langsmith", workers=0).conversations_added == 0
