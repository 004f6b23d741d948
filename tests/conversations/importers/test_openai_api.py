"""OpenAI's Batch API files, joined by custom id across the folder, and replies saved without their request."""

from __future__ import annotations

import io
import json
from pathlib import Path

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped

from .helpers import jsonl, parse, turns


def _request(custom_id: str, question: str, url: str = "/v1/chat/completions") -> dict[str, object]:
    body: dict[str, object] = (
        {"model": "gpt-4o-mini", "input": question, "instructions": "Answer in one line."}
        if url == "/v1/responses"
        else {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "Answer in one line."},
                {"role": "user", "content": question},
            ],
        }
    )
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def _result(custom_id: str, answer: str, status: int = 200) -> dict[str, object]:
    return {
        "id": f"batch_req_{custom_id}",
        "custom_id": custom_id,
        "response": {
            "status_code": status,
            "request_id": "req_1",
            "body": {
                "object": "chat.completion",
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}],
            },
        },
        "error": None,
    }


def _read(path: Path) -> list[object]:
    with path.open("rb") as f:
        return list(get_importer("openai-api").parse(f, str(path)))


def test_an_output_file_is_joined_to_the_requests_beside_it(tmp_path: Path) -> None:
    (tmp_path / "requests.jsonl").write_bytes(
        jsonl(
            _request("tide-1", "Why are there two tides a day?"), _request("tide-2", "What is a neap tide?")
        )
    )
    # Results come back in any order; a failed one is skipped with its status.
    output = tmp_path / "batch_68f0_output.jsonl"
    output.write_bytes(
        jsonl(
            _result("tide-2", "A neap tide is the smallest range, at the quarter moons."),
            _result("tide-1", "The Moon pulls water to both the near and the far side."),
            _result("tide-3", "", status=429),
        )
    )
    assert detect_format(output.read_bytes(), output.name) == "openai-api"
    neap, pull, failed = _read(output)
    assert isinstance(neap, ParsedConversation)
    assert isinstance(pull, ParsedConversation)
    assert neap.external_id == "tide-2"
    assert neap.system_prompt == "Answer in one line."
    assert turns(pull) == [
        ("user", "Why are there two tides a day?"),
        ("assistant", "The Moon pulls water to both the near and the far side."),
    ]
    assert pull.metadata == {"model": "gpt-4o-mini-2024-07-18"}
    assert pull.line == 2
    assert failed == Skipped("Batch API result that failed (status 429)")


def test_the_responses_api_in_a_batch(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(jsonl(_request("r1", "Name a prime above 90.", url="/v1/responses")))
    output = tmp_path / "out.jsonl"
    reply = {
        "object": "response",
        "model": "gpt-4.1-mini",
        "output": [
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "97."}]}
        ],
    }
    output.write_bytes(
        jsonl({"id": "b1", "custom_id": "r1", "response": {"status_code": 200, "body": reply}})
    )
    (conversation,) = _read(output)
    assert isinstance(conversation, ParsedConversation)
    assert turns(conversation) == [("user", "Name a prime above 90."), ("assistant", "97.")]
    assert conversation.system_prompt == "Answer in one line."


def test_without_its_requests_a_result_is_skipped_and_a_request_file_too(tmp_path: Path) -> None:
    output = tmp_path / "results.jsonl"
    output.write_bytes(jsonl(_result("a", "Yes.")))
    assert _read(output) == [
        Skipped("Batch API result without its request (no input file with its custom_id beside it)")
    ]
    # Inside an archive there is no folder to look in.
    results = list(
        get_importer("openai-api").parse(io.BytesIO(jsonl(_result("a", "Yes."))), "b.zip!results.jsonl")
    )
    assert [type(r) for r in results] == [Skipped]
    requests = jsonl(_request("a", "Is it raining?"))
    assert detect_format(requests, "batch_input.jsonl") == "openai-api"
    assert parse("openai-api", requests) == ([], [])


def test_a_reply_saved_without_its_request_is_skipped() -> None:
    completion = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Canberra."}}],
    }
    response = {"id": "resp_1", "object": "response", "output": [], "status": "completed"}
    for reply in (completion, response):
        data = json.dumps(reply, indent=2).encode()
        assert detect_format(data, "reply.json") == "openai-api"
        results = list(get_importer("openai-api").parse(io.BytesIO(data), "reply.json"))
        assert results == [Skipped("a model reply saved without its request (no question to pair it with)")]


def test_a_line_of_another_shape_is_an_error_naming_it(tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    output.write_bytes(jsonl(_result("a", "Yes."), {"custom": "x"}))
    results = _read(output)
    assert results[1] == RecordError("expected a Batch API request or result line", 2, None)


def test_a_server_log_that_opens_with_a_bracket_is_not_a_json_array() -> None:
    log = (
        b"[2024-03-02 10:00:01.004] [INFO] Server started.\n"
        b"[2024-03-02 10:00:05.101] [INFO] Received POST request to /v1/chat/completions with body: {\n"
        b'  "messages": [{"role": "user", "content": "hi"}]\n}\n'
    )
    assert detect_format(log, "server-log.txt") is None
