"""Shared helpers for the importer tests: run an importer over bytes and split its results."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from app.conversations.importers import get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
RENDERED = SAMPLES / "rendered"
REAL_CLAUDE_CODE = SAMPLES / "claude-code-real-format"


def parse(
    fmt: str, data: bytes, filename: str = "data.jsonl"
) -> tuple[list[ParsedConversation], list[RecordError]]:
    conversations: list[ParsedConversation] = []
    errors: list[RecordError] = []
    for result in get_importer(fmt).parse(io.BytesIO(data), filename):
        if isinstance(result, RecordError):
            errors.append(result)
        elif isinstance(result, Skipped):
            continue
        else:
            conversations.append(result)
    return conversations, errors


def parse_one(fmt: str, data: bytes, filename: str = "data.jsonl") -> ParsedConversation:
    conversations, errors = parse(fmt, data, filename)
    assert errors == []
    assert len(conversations) == 1
    return conversations[0]


def jsonl(*records: Any) -> bytes:
    return b"".join(json.dumps(record).encode() + b"\n" for record in records)


def turns(conversation: ParsedConversation) -> list[tuple[str, str]]:
    return [(turn.role, turn.text) for turn in conversation.turns]


def errors_of(errors: list[RecordError]) -> list[tuple[int | None, str | None, str]]:
    return [(error.line, error.json_path, error.reason) for error in errors]
