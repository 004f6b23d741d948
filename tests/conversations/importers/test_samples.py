"""The 24 sample conversations, rendered in every format, parse back to the convspec ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.conversations.importers import detect_format
from app.conversations.importers.base import ParsedConversation

from .helpers import RENDERED, SAMPLES, parse

TRUTH = {
    record["id"]: record
    for record in map(json.loads, (SAMPLES / "convspec" / "samples.convspec.jsonl").read_text().splitlines())
}
BY_TITLE = {record["title"]: record for record in TRUTH.values()}

SAMPLE_FILES = {
    "openai": [RENDERED / "openai" / "conversations.jsonl"],
    "anthropic": [RENDERED / "anthropic" / "messages.jsonl"],
    "sharegpt": [RENDERED / "sharegpt" / "conversations.json"],
    "chatgpt": [RENDERED / "chatgpt" / "conversations.json"],
    "claude-code": sorted((RENDERED / "claude-code").glob("*/*.jsonl")),
    "markdown": sorted((RENDERED / "markdown").glob("*.md")),
}


def _truth_for(fmt: str, conversation: ParsedConversation) -> dict:
    # Each rendering keeps the sample id somewhere: the record id, the file name, or (Claude Code) the title.
    if fmt == "claude-code":
        return BY_TITLE[conversation.title]
    if fmt == "markdown":
        return TRUTH[Path(conversation.external_id).stem]
    return TRUTH[conversation.external_id]


def _parse_samples(fmt: str) -> list[ParsedConversation]:
    conversations = []
    for path in SAMPLE_FILES[fmt]:
        found, errors = parse(fmt, path.read_bytes(), str(path))
        assert errors == [], path
        conversations += found
    return conversations


@pytest.mark.parametrize("fmt", list(SAMPLE_FILES))
def test_samples_match_ground_truth(fmt: str) -> None:
    conversations = _parse_samples(fmt)
    assert len(conversations) == 24
    seen = set()
    for conversation in conversations:
        truth = _truth_for(fmt, conversation)
        seen.add(truth["id"])
        expected = [(turn["role"], turn["text"].strip()) for turn in truth["turns"]]
        assert [(turn.role, turn.text.strip()) for turn in conversation.turns] == expected, truth["id"]
        # Claude Code sessions carry no system prompt; every other rendering keeps it.
        expected_system = None if fmt == "claude-code" else truth.get("system")
        assert conversation.system_prompt == expected_system, truth["id"]
    assert seen == set(TRUTH)


@pytest.mark.parametrize(
    ("fmt", "has_title"),
    [
        ("openai", True),
        ("anthropic", False),
        ("sharegpt", False),
        ("chatgpt", True),
        ("claude-code", True),
        ("markdown", True),
    ],
)
def test_sample_titles(fmt: str, has_title: bool) -> None:
    for conversation in _parse_samples(fmt):
        truth = _truth_for(fmt, conversation)
        assert conversation.title == (truth["title"] if has_title else None)


@pytest.mark.parametrize("fmt", list(SAMPLE_FILES))
def test_sample_files_are_detected(fmt: str) -> None:
    for path in SAMPLE_FILES[fmt]:
        with path.open("rb") as stream:
            assert detect_format(stream.read(65536), path.name) == fmt, path


def test_sample_locations_and_ids() -> None:
    openai = _parse_samples("openai")
    assert [(c.external_id, c.line, c.json_path) for c in openai[:2]] == [
        ("s-001", 1, None),
        ("s-002", 2, None),
    ]
    assert openai[0].metadata == {"conversation_id": "s-001", "title": "Versioning a partner-facing REST API"}
    chatgpt = _parse_samples("chatgpt")
    assert [(c.external_id, c.line, c.json_path) for c in chatgpt[:2]] == [
        ("s-001", None, "$[0]"),
        ("s-002", None, "$[1]"),
    ]
    assert chatgpt[0].metadata == {"create_time": 1700000000.0, "update_time": 1700003600.0}


def test_chatgpt_regenerated_drafts_are_not_turns() -> None:
    raw = (RENDERED / "chatgpt" / "conversations.json").read_text()
    assert raw.count("(regenerated draft)") == 8
    for conversation in _parse_samples("chatgpt"):
        assert all("(regenerated draft)" not in turn.text for turn in conversation.turns)


def test_claude_code_sample_tool_round_trips_stay_in_the_assistant_turn() -> None:
    conversations = {c.title: c for c in _parse_samples("claude-code")}
    conversation = conversations["Redis cache-aside for a product catalog"]
    assert conversation.external_id == "30553f62-5780-3a6b-b276-b7351fa1b069"
    assert conversation.metadata == {
        "sessionId": "30553f62-5780-3a6b-b276-b7351fa1b069",
        "cwd": "/home/dev/project",
        "gitBranch": "main",
        "version": "2.0.31",
    }
    first_answer = conversation.turns[1]
    assert first_answer.blocks is not None
    assert first_answer.blocks[:3] == [
        {"type": "thinking", "thinking": "Let me look at the project first."},
        {
            "type": "tool_use",
            "id": "toolu_8ae32af65c4035ad4e4dd6",
            "name": "Read",
            "input": {"file_path": "/home/dev/project/README.md"},
        },
        {
            "type": "tool_result",
            "tool_use_id": "toolu_8ae32af65c4035ad4e4dd6",
            "content": "     1\t# project\n     2\tA small service.",
            "is_error": False,
        },
    ]
    assert first_answer.blocks[3]["type"] == "text"
    assert first_answer.text == first_answer.blocks[3]["text"]
    tool_turns = [t for c in conversations.values() for t in c.turns if t.blocks]
    assert len(tool_turns) == 27
    assert all(t.role == "assistant" for t in tool_turns)
