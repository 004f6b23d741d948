"""The Anthropic API's answers saved without their requests (app/conversations/importers/anthropic.py): a response
object and a Message Batches results file, written here from the API's documented shapes."""

from __future__ import annotations

import io
import json
from typing import Any

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParseResult, Skipped

from .helpers import jsonl

RESPONSE = "a model response without its request (the Messages API's answer alone)"


def _message(answer: str) -> dict[str, Any]:
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": answer}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 9},
    }


def _read(data: bytes, name: str) -> list[ParseResult]:
    assert detect_format(data[:65536], name) == "anthropic"
    return list(get_importer("anthropic").parse(io.BytesIO(data), name))


def test_a_response_alone_is_skipped_pretty_printed_compact_or_longer_than_the_head() -> None:
    message = _message("The default port is 5432.")
    long = _message("x" * 70_000)
    for data in (
        json.dumps(message, indent=2).encode(),
        json.dumps(message).encode(),
        json.dumps(long, indent=2).encode(),
    ):
        assert _read(data, "response.json") == [Skipped(RESPONSE)]


def test_message_batches_results_are_answers_without_their_requests() -> None:
    data = jsonl(
        {"custom_id": "q-1", "result": {"type": "succeeded", "message": _message("Use a partial index.")}},
        {
            "custom_id": "q-2",
            "result": {
                "type": "errored",
                "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "too long"}},
            },
        },
        {"custom_id": "q-3", "result": {"type": "canceled"}},
        {"custom_id": "q-4", "result": {"type": "expired"}},
    )
    failed = "Message Batches result without an answer (errored, canceled or expired)"
    assert _read(data, "msgbatch_01_results.jsonl") == [
        Skipped("Message Batches result: an answer without its request"),
        Skipped(failed),
        Skipped(failed),
        Skipped(failed),
    ]
