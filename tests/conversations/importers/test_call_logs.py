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
from app.conversations.importers import anthropic, detect_format, get_importer
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


def _parse(data: bytes, name: str) -> list[object]:
    assert detect_format(data[:65536], name) == "call-logs"
    return list(get_importer("call-logs").parse(io.BytesIO(data), name))


def test_bedrock_batch_output_is_one_conversation_per_record() -> None:
    """Amazon Bedrock's batch inference output (`<input>.jsonl.out`): each record's request and response; a record
    that failed, one of the batch's input (no output) and one of a model prompted with text are skipped."""
    question = [
        {"role": "user", "content": [{"type": "text", "text": "Does `\\b` match between two digits?"}]}
    ]
    rows = [
        {
            "recordId": "CALL0000001",
            "modelInput": {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 512,
                "system": "You answer questions about regular expressions briefly.",
                "messages": question,
            },
            "modelOutput": {
                "id": "msg_bdrk_01",
                "type": "message",
                "role": "assistant",
                "model": "claude-3-5-haiku-20241022",
                "content": [
                    {"type": "text", "text": "No: both sides are word characters, so there is no boundary."}
                ],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 30, "output_tokens": 14},
            },
        },
        {
            "recordId": "CALL0000002",
            "modelInput": {
                "schemaVersion": "messages-v1",
                "messages": [{"role": "user", "content": [{"text": "Hi?"}]}],
            },
            "modelOutput": {
                "output": {"message": {"role": "assistant", "content": [{"text": "Hello."}]}},
                "stopReason": "end_turn",
            },
        },
        {
            "recordId": "CALL0000003",
            "modelInput": {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 512,
                "messages": question,
            },
            "error": {"errorCode": 400, "errorMessage": "Malformed input request"},
        },
        {
            "recordId": "CALL0000004",
            "modelInput": {"anthropic_version": "bedrock-2023-05-31", "messages": question},
        },
        {"recordId": "CALL0000005", "modelInput": {"prompt": "Hi?"}, "modelOutput": {"generation": "Hello."}},
    ]
    data = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    claude, nova, *skipped = _parse(data, "batch-input.jsonl.out")
    assert isinstance(claude, ParsedConversation)
    assert isinstance(nova, ParsedConversation)
    assert turns(claude) == [
        ("user", "Does `\\b` match between two digits?"),
        ("assistant", "No: both sides are word characters, so there is no boundary."),
    ]
    assert (claude.external_id, claude.line, claude.system_prompt) == (
        "CALL0000001",
        1,
        "You answer questions about regular expressions briefly.",
    )
    assert claude.metadata == {"tool": "bedrock-batch", "model": "claude-3-5-haiku-20241022"}
    assert turns(nova) == [("user", "Hi?"), ("assistant", "Hello.")]
    assert skipped == [
        Skipped("logged model call that failed (an error in place of the answer)"),
        Skipped("logged model call without its answer"),
        Skipped("logged model call prompted with text, not chat messages"),
    ]
    broken = {**rows[0], "modelOutput": {**rows[0]["modelOutput"], "content": 7}}  # type: ignore[dict-item]
    (error,) = _parse(json.dumps(broken).encode() + b"\n", "batch.jsonl.out")
    assert error == RecordError(
        "answer[0].content: expected a string or a list of blocks, got a number", line=1, json_path="$"
    )


def _sse(message_id: str, blocks: list[tuple[str, list[str]]], stop: str) -> str:
    """A streamed answer as claude-trace keeps it (`body_raw`): each block's text, thinking or tool input in
    pieces."""
    starts = {
        "text": {"type": "text", "text": ""},
        "thinking": {"type": "thinking", "thinking": ""},
        "tool_use": {"type": "tool_use", "id": "toolu_02", "name": "Edit", "input": {}},
    }
    deltas = {
        "text": ("text_delta", "text"),
        "thinking": ("thinking_delta", "thinking"),
        "tool_use": ("input_json_delta", "partial_json"),
    }
    start = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
    }
    events: list[dict[str, object]] = [{"type": "message_start", "message": start}]
    for index, (kind, pieces) in enumerate(blocks):
        events.append({"type": "content_block_start", "index": index, "content_block": starts[kind]})
        kind_of_delta, field = deltas[kind]
        events += [
            {"type": "content_block_delta", "index": index, "delta": {"type": kind_of_delta, field: piece}}
            for piece in pieces
        ]
        events.append({"type": "content_block_stop", "index": index})
    events += [{"type": "message_delta", "delta": {"stop_reason": stop}}, {"type": "message_stop"}]
    return "".join(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in events)


def _trace(messages: list[object], response: object, **body: object) -> dict[str, object]:
    request = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 32000,
        "stream": True,
        "system": [{"type": "text", "text": "You are a coding agent in the user's terminal."}],
        "tools": [{"name": "Edit", "input_schema": {"type": "object"}}],
        "messages": messages,
        **body,
    }
    return {
        "request": {
            "timestamp": 1767000000.1,
            "method": "POST",
            "headers": {},
            "body": request,
            "url": "https://api.anthropic.com/v1/messages?beta=true",
        },
        "response": response,
        "logged_at": "2026-01-01T10:00:00.000Z",
    }


def test_claude_trace_joins_streamed_answers_and_skips_claude_codes_own_calls() -> None:
    """claude-trace's log of Claude Code's traffic: a streamed answer (Server-Sent Events in `body_raw`) is joined,
    the call that holds a whole answer is a conversation; the quota check and the other calls that offer the model
    no tools, a step that stops at a tool call (the next call holds it), a request never answered and a failed one
    are skipped. The first line, with the system prompt and tools, is longer than a file's head."""
    prompt = {"role": "user", "content": [{"type": "text", "text": "Rename parse to parse_date in dates.py"}]}
    step = [
        {"type": "text", "text": "I'll edit dates.py."},
        {"type": "tool_use", "id": "toolu_02", "name": "Edit", "input": {"file": "dates.py"}},
    ]
    result = {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_02", "content": "edited"}],
    }
    history = [prompt, {"role": "assistant", "content": step}, result]
    quota = {
        "id": "msg_q",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "#"}],
    }
    done = _sse(
        "msg_03", [("text", ["Renamed parse to ", "parse_date; nothing imports the old name."])], "end_turn"
    )
    records = [
        _trace(
            [{"role": "user", "content": "quota"}],
            {"status_code": 200, "body": quota},
            tools=None,
            max_tokens=1,
        ),
        _trace(
            [prompt],
            {
                "status_code": 200,
                "body_raw": _sse(
                    "msg_02",
                    [
                        ("thinking", ["Find ", "it."]),
                        ("text", ["I'll edit ", "dates.py."]),
                        ("tool_use", ['{"file": ', '"dates.py"}']),
                    ],
                    "tool_use",
                ),
            },
            system=[{"type": "text", "text": "x" * 70_000}],
        ),
        _trace(history, {"status_code": 200, "body_raw": done}),
        _trace(history, None),
        _trace(
            history, {"status_code": 529, "body": {"type": "error", "error": {"type": "overloaded_error"}}}
        ),
    ]
    data = b"".join(json.dumps(record).encode() + b"\n" for record in records)
    helper, first_step, answered, unanswered, failed = _parse(data, "log-2026-01-01-10-00-00.jsonl")
    assert [helper, first_step, unanswered, failed] == [
        Skipped(
            "Claude Code's own model call (a quota check, a topic or title, a summary), not the person's chat"
        ),
        Skipped(
            "logged agent step ending at a tool call (the answer goes on in the next call, which holds it whole)"
        ),
        Skipped("logged model call without its answer"),
        Skipped("logged model call that failed (an error in place of the answer)"),
    ]
    assert isinstance(answered, ParsedConversation)
    assert turns(answered) == [
        ("user", "Rename parse to parse_date in dates.py"),
        ("assistant", "I'll edit dates.py.\n\nRenamed parse to parse_date; nothing imports the old name."),
    ]
    assert [block["type"] for block in answered.turns[1].blocks or []] == [
        "text",
        "tool_use",
        "tool_result",
        "text",
    ]
    assert answered.system_prompt == "You are a coding agent in the user's terminal."
    assert (answered.external_id, answered.line) == ("msg_03", 3)
    assert answered.metadata == {
        "tool": "claude-trace",
        "model": "claude-sonnet-4-5",
        "time": "2026-01-01T10:00:00.000Z",
    }


def test_a_streamed_answer_is_put_together_from_its_events() -> None:
    raw = _sse(
        "msg_9",
        [("thinking", ["Look ", "first."]), ("text", ["Done", "."]), ("tool_use", ['{"a"', ": 1}"])],
        "tool_use",
    )
    assert anthropic.streamed_message(raw) == {
        "id": "msg_9",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "stop_reason": "tool_use",
        "content": [
            {"type": "thinking", "thinking": "Look first."},
            {"type": "text", "text": "Done."},
            {"type": "tool_use", "id": "toolu_02", "name": "Edit", "input": {"a": 1}},
        ],
    }
    broken = raw.replace(
        "event: message_stop", 'event: error\ndata: {"type": "error"}\n\nevent: message_stop'
    )
    assert anthropic.streamed_message(broken) is None


def test_a_scripts_own_request_and_response_records_are_calls() -> None:
    """`{request, response}` as a script logs each call (the shape found in real repositories): an Anthropic
    response with the request's own system, a chat completion, and in the same list a request body alone whose
    answers are in its messages."""
    records = [
        {
            "id": "msg_7",
            "request": {
                "model": "claude-haiku-4-5",
                "system": "Answer in one sentence.",
                "messages": [{"role": "user", "content": "Why is the sky blue?"}],
            },
            "response": {
                "id": "msg_7",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": "Air scatters blue light more than red."}],
                "stop_reason": "end_turn",
            },
            "tags": {"route": "science"},
        },
        {
            "request": {
                "model": "gpt-4.1-mini",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Capital of Chile?"},
                ],
            },
            "response": {
                "id": "chatcmpl-9",
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Santiago."}}],
            },
        },
        {
            "model": "claude-haiku-4-5",
            "system": [{"type": "text", "text": "Use the calculator."}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "12 times 12?"}]},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "t1", "name": "calc", "input": {"x": "12*12"}}],
                },
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "144"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "144."}]},
            ],
        },
    ]
    data = json.dumps(records, indent=2).encode()
    assert detect_format(data, "api_logs.json") == "call-logs"
    results = list(get_importer("call-logs").parse(io.BytesIO(data), "api_logs.json"))
    conversations = [r for r in results if isinstance(r, ParsedConversation)]
    assert len(conversations) == len(results)
    first, second, third = conversations
    assert turns(first) == [
        ("user", "Why is the sky blue?"),
        ("assistant", "Air scatters blue light more than red."),
    ]
    assert first.system_prompt == "Answer in one sentence."
    assert (first.external_id, first.metadata) == (
        "msg_7",
        {"tool": "request-log", "model": "claude-haiku-4-5"},
    )
    assert turns(second) == [("user", "Capital of Chile?"), ("assistant", "Santiago.")]
    assert second.system_prompt == "Be brief."
    assert turns(third) == [("user", "12 times 12?"), ("assistant", "144.")]
    assert [b["type"] for b in third.turns[1].blocks or []] == ["tool_use", "tool_result", "text"]
