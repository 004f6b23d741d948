"""Model calls logged by observability tools and gateways: the fixtures (tests/fixtures/real_formats/call_logs/) are
written by hand from each tool's serializers and API models, one regex chat logged as calls (the second call holds
the first answer and the pushback in its request) and records that are no model call (a Langfuse span, a Phoenix
chain span, an HTTP span, a Braintrust task, rows whose bodies or prompts were not kept)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.files import InputFile, iter_input_files
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.conversations.reading import FileRead, read_file
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "call_logs"
NO_CALL = "logged span or event that is not a model call"
NO_PROMPTS = "logged model call without its messages (prompts not stored)"

# file: (tool, conversations, pairs at the threshold, skipped reasons)
EXPECTED = {
    "langfuse-observations.json": ("langfuse", 1, 0, [NO_CALL]),
    "langfuse-traces-export.jsonl": ("langfuse", 2, 1, []),
    "helicone-output.jsonl": ("helicone", 1, 1, [NO_PROMPTS]),
    "phoenix-spans.json": ("phoenix", 1, 1, [NO_CALL]),
    "otel-traces.jsonl": ("opentelemetry", 1, 1, [NO_CALL]),
    "litellm-spend-logs.json": ("litellm", 1, 0, [NO_PROMPTS]),
    "tr-0123456789abcdef0123456789abcdef.json": ("mlflow", 1, 1, []),
    "braintrust-logs.json": ("braintrust", 1, 1, [NO_CALL]),
    "weave-calls.jsonl": ("weave", 1, 0, []),
    "portkey-logs.jsonl": ("portkey", 1, 0, []),
}


def _read(name: str) -> list[object]:
    (item,) = [i for i in iter_input_files([ROOT / name]) if isinstance(i, InputFile)]
    return list(read_file(item, format="auto", read=FileRead()))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_tools_calls_are_conversations(name: str) -> None:
    tool, count, pairs, skipped = EXPECTED[name]
    assert detect_format((ROOT / name).read_bytes()[:65536], name) == "call-logs"
    results = _read(name)
    chats = [r for r in results if isinstance(r, ParsedConversation)]
    assert [r.reason for r in results if isinstance(r, Skipped)] == skipped
    assert [r for r in results if isinstance(r, RecordError)] == []
    assert len(chats) == count
    assert {chat.metadata["tool"] for chat in chats} == {tool}
    found = [
        p for chat in chats for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD
    ]
    assert len(found) == pairs


def test_the_call_with_the_pushback_holds_the_pair_and_the_answer_once() -> None:
    first, second = [r for r in _read("langfuse-traces-export.jsonl") if isinstance(r, ParsedConversation)]
    assert (first.external_id, second.external_id) == ("trace-a1", "trace-a2")
    assert second.system_prompt == "You answer questions about regular expressions briefly."
    assert second.metadata == {
        "tool": "langfuse",
        "session": "sess-regex",
        "time": "2026-06-01T08:01:10.000Z",
    }
    assert [role for role, _ in turns(second)] == ["user", "assistant", "user", "assistant"]
    assert turns(second)[3][1].startswith("You're right, `\\d{2}` lets any two digits through.")
    (pair,) = [p for p in find_pairs(second) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    # The first call is the shorter conversation before the pushback: no pair of its own.
    assert turns(first) == turns(second)[:2]


def test_tool_calls_and_system_instructions_are_kept() -> None:
    (chat,) = [r for r in _read("langfuse-observations.json") if isinstance(r, ParsedConversation)]
    assert [b["type"] for b in chat.turns[1].blocks or []] == ["tool_use", "tool_result", "text"]
    assert chat.turns[1].blocks[0]["input"] == {"query": "re.VERBOSE"}  # type: ignore[index]
    (span,) = [r for r in _read("otel-traces.jsonl") if isinstance(r, ParsedConversation)]
    assert span.system_prompt == "You answer questions about regular expressions briefly."
    assert [b["type"] for b in span.turns[3].blocks or []] == ["text", "tool_use"]
    assert span.metadata["session"] == "sess-regex"


def test_a_call_that_cannot_be_read_is_an_error_on_its_line() -> None:
    rows = (ROOT / "langfuse-traces-export.jsonl").read_bytes().splitlines()
    bad = json.loads(rows[1])
    bad["input"] = 42
    # Text that opens with a bracket but is no JSON is text: an answer citing its sources, "[1] ...".
    cited = json.loads(rows[0])
    cited["output"] = "[1] Use \\d{4}-\\d{2}-\\d{2}, see the re module's docs."
    data = b"\n".join([json.dumps(cited).encode(), json.dumps(bad).encode()]) + b"\n"
    first, error = get_importer("call-logs").parse(io.BytesIO(data), "export.jsonl")
    assert isinstance(first, ParsedConversation)
    assert turns(first)[1] == ("assistant", "[1] Use \\d{4}-\\d{2}-\\d{2}, see the re module's docs.")
    assert error == RecordError(
        "input: expected the chat messages (a list), got a number", line=2, json_path="$"
    )


def test_usage_exports_without_text_are_not_read() -> None:
    # OpenRouter's activity CSV: ids, models and costs, no messages.
    csv = b"generation_id,created_at,cost_total,tokens_prompt,model_permaslug\ngen-1,2026-06-01 08:00:00,0.0001,40,openai/gpt-4.1-mini\n"
    assert detect_format(csv, "openrouter_activity_2026-06-01.csv") is None


def test_the_logs_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="observability", workers=0)
    # Eleven calls of one chat logged by ten tools: 5 distinct conversations (the first call, the call with the
    # pushback, the same with the tool call OpenTelemetry kept, the tool-calling answer, the other question), the
    # other calls their duplicates; a pair with the same texts as one stored before is linked to it.
    assert (summary.conversations_added, summary.duplicates, summary.error_count) == (5, 6, 0)
    assert (summary.pairs_detected, summary.pairs_linked) == (2, 1)
    assert dict(summary.skipped) == {NO_CALL: 4, NO_PROMPTS: 2}
    assert run_import(engine, paths=[ROOT], source="observability", workers=0).conversations_added == 0


def test_a_prompts_text_is_one_question_and_a_pipelines_own_input_no_chat() -> None:
    """Traces of code that is not a chat model call: a prompt and its completion as text are one exchange; a step
    whose input is an object of its own fields is not a chat."""
    rows = [
        {"id": "t-1", "sessionId": "s-9", "input": "Name a prime above 100.", "output": "101."},
        {"id": "t-2", "sessionId": "s-9", "input": {"query": "primes", "top_k": 3}, "output": ["doc-1"]},
    ]
    data = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    text, step = get_importer("call-logs").parse(io.BytesIO(data), "export.jsonl")
    assert isinstance(text, ParsedConversation)
    assert turns(text) == [("user", "Name a prime above 100."), ("assistant", "101.")]
    assert step == Skipped("logged call whose input is not a chat (an object of its own fields)")
