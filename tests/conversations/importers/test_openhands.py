"""OpenHands event streams: the fixtures (tests/fixtures/real_formats/openhands/) are written by hand in the shape of
its event serialization and the trajectories of its test suite: a UI export (the system prompt, a command, edits
whose words are in `thought`, a correction, `finish` with its last words, the agent's state changes, an image) and
the evaluation harness's `output.jsonl` (a run per line, one that crashed before anybody spoke)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "openhands"
EXPORT = ROOT / "trajectory-4c1d9e2f7a8b4d3c9e6f5a1b2c3d4e5f.json"
OUTPUT = ROOT / "output.jsonl"


def _parse(data: bytes, name: str) -> list[object]:
    return list(get_importer("openhands").parse(io.BytesIO(data), name))


def test_an_export_is_one_conversation_with_its_calls_and_their_results() -> None:
    assert detect_format(EXPORT.read_bytes(), EXPORT.name) == "openhands"
    (chat,) = _parse(EXPORT.read_bytes(), EXPORT.name)
    assert isinstance(chat, ParsedConversation)
    assert (chat.external_id, chat.title) == ("4c1d9e2f7a8b4d3c9e6f5a1b2c3d4e5f",) * 2
    assert chat.system_prompt is not None
    assert chat.system_prompt.startswith("You are OpenHands agent")
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant"]
    blocks = chat.turns[1].blocks or []
    assert [b["type"] for b in blocks] == [
        "text",
        "tool_use",
        "tool_result",
        "text",
        "tool_use",
        "tool_result",
        "text",
    ]
    assert (blocks[1]["id"], blocks[1]["name"], blocks[1]["input"]["command"]) == (
        "toolu_a1",
        "execute_bash",
        "cat /workspace/backup.sh",
    )
    assert "thought" not in blocks[1]["input"]
    assert blocks[2]["tool_use_id"] == "toolu_a1"
    assert blocks[2]["content"].startswith("#!/bin/sh")
    assert chat.turns[3].text.endswith("only removes dated folders older than 7 days.")
    assert chat.dropped == {"image": 1}
    assert chat.metadata == {"models": ["claude-sonnet-4-20250514"]}
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_each_harness_line_is_a_run() -> None:
    assert detect_format(OUTPUT.read_bytes(), OUTPUT.name) == "openhands"
    run, crashed = _parse(OUTPUT.read_bytes(), OUTPUT.name)
    assert isinstance(run, ParsedConversation)
    assert (run.external_id, run.json_path, run.metadata) == (
        "psf__requests-2317",
        "$",
        {"models": ["gpt-4o-2024-08-06"]},
    )
    assert [b["type"] for b in run.turns[1].blocks or []] == ["tool_use", "tool_result", "text"]
    assert crashed == Skipped("OpenHands run without a message and an answer")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda events: events.__setitem__(3, [1]),
            ("$[3]: expected an event object, got a list", "$"),
        ),
        (lambda events: events[3].pop("action"), ("$[3]: expected an action or an observation", "$")),
    ],
)
def test_a_damaged_event_is_named(change: object, reason: tuple[str, str]) -> None:
    events = json.loads(EXPORT.read_bytes())
    change(events)  # type: ignore[operator]
    results = _parse(json.dumps(events).encode(), EXPORT.name)
    errors = [(r.reason, r.json_path) for r in results if isinstance(r, RecordError)]
    assert errors == [reason]


def test_a_cause_or_id_that_is_not_a_value_is_ignored() -> None:
    events = json.loads(EXPORT.read_bytes())
    events[3]["id"] = {"x": 1}
    events[4]["cause"] = [3]
    (chat,) = _parse(json.dumps(events).encode(), EXPORT.name)
    assert isinstance(chat, ParsedConversation)
    assert [b["type"] for b in chat.turns[1].blocks or []][:3] == ["text", "tool_use", "text"]


def test_the_runs_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="openhands", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert run_import(engine, paths=[ROOT], source="openhands", workers=0).conversations_added == 0


def test_a_finish_with_no_thought_says_its_last_words_in_its_message() -> None:
    # Newer trajectories leave `final_thought` out and `thought` empty: the words the app shows are the message.
    events = [
        {"id": 1, "source": "user", "message": "Print the first prime above 100.", "action": "message",
         "args": {"content": "Print the first prime above 100.", "image_urls": None, "wait_for_response": False}},
        {"id": 4, "source": "agent", "message": "The first prime above 100 is 101.", "action": "finish",
         "tool_call_metadata": {"function_name": "finish", "tool_call_id": "call_9"},
         "args": {"outputs": {}, "thought": ""}},
    ]  # fmt: skip
    (chat,) = _parse(json.dumps(events).encode(), "trajectory.json")
    assert isinstance(chat, ParsedConversation)
    assert chat.turns[1].text == "The first prime above 100 is 101."
