"""mini-swe-agent trajectories: the fixtures (tests/fixtures/real_formats/mini_swe_agent/) are written by hand in the
shape of its agents' `serialize` and its interactive agent: `mini`'s last run in the tool-calling format (a person
rejecting a command with a correction, a bare interruption, a format error, the exit message) and a batch run in the
first format (commands in ```bash blocks, their output as user messages)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "mini_swe_agent"
LAST_RUN = ROOT / "last_mini_run.traj.json"
BATCH = ROOT / "batch" / "django__django-11099" / "django__django-11099.traj.json"


def _one(path: Path) -> ParsedConversation:
    (conversation,) = get_importer("mini-swe-agent").parse(path.open("rb"), str(path))
    assert isinstance(conversation, ParsedConversation)
    return conversation


def test_a_persons_correction_is_the_user_turn_and_the_environment_a_tool_result() -> None:
    assert detect_format(LAST_RUN.read_bytes(), LAST_RUN.name) == "mini-swe-agent"
    chat = _one(LAST_RUN)
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant"]
    assert chat.turns[2].text == (
        "That's wrong: str() doesn't pad, you still get 2025-1-5. Use d.isoformat() or zero-pad with :02d."
    )
    assert chat.system_prompt is not None
    assert chat.system_prompt.startswith("You are a helpful assistant")
    assert [b["type"] for b in chat.turns[1].blocks or []] == [
        "text",
        "tool_use",
        "tool_result",
        "text",
        "tool_use",
    ]
    first_call = (chat.turns[1].blocks or [])[1]
    assert (first_call["id"], first_call["name"], first_call["input"]) == (
        "toolu_01A",
        "bash",
        {"command": "grep -n strftime reports/export.py"},
    )
    # The bare interruption says nothing; the format error is the environment's, inside the revision's turn.
    assert [b["type"] for b in chat.turns[3].blocks or []] == [
        "text", "tool_use", "tool_result", "tool_result", "text", "tool_use",
    ]  # fmt: skip
    assert chat.title == "Please solve this issue: The CSV export in reports/export.py writes dates as 202"
    assert chat.metadata == {
        "exit_status": "Submitted",
        "model": "anthropic/claude-sonnet-4-5-20250929",
        "api_calls": 4,
        "instance_cost": 0.016,
        "mini_version": "2.1.0",
        "trajectory_format": "mini-swe-agent-1.1",
    }
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_the_first_format_reads_commands_from_bash_blocks() -> None:
    assert detect_format(BATCH.read_bytes(), BATCH.name) == "mini-swe-agent"
    chat = _one(BATCH)
    # No person spoke after the task: every later user message is the environment's.
    assert [t.role for t in chat.turns] == ["user", "assistant"]
    blocks = chat.turns[1].blocks or []
    assert [b["type"] for b in blocks].count("tool_result") == 3
    assert blocks[1] == {
        "type": "tool_use",
        "id": None,
        "name": "bash",
        "input": {"command": "grep -rn 'class ASCIIUsernameValidator' django/contrib/auth/validators.py"},
    }
    assert chat.title == "django__django-11099"
    assert chat.metadata["trajectory_format"] == "mini-swe-agent-1"
    assert find_pairs(chat) == []


def test_a_person_is_known_by_the_opening_when_messages_carry_no_extra() -> None:
    data = json.loads(BATCH.read_bytes())
    data["messages"].insert(
        5, {"role": "user", "content": "Interrupted by user: no, keep ^ and use fullmatch in the validator"}
    )
    (chat,) = get_importer("mini-swe-agent").parse(io.BytesIO(json.dumps(data).encode()), "x.traj.json")
    assert isinstance(chat, ParsedConversation)
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant"]
    assert chat.turns[2].text == "no, keep ^ and use fullmatch in the validator"


def test_a_long_trajectory_is_known_from_its_info() -> None:
    head = LAST_RUN.read_bytes()[:400]
    assert b'"messages"' not in head
    assert detect_format(head, LAST_RUN.name) == "mini-swe-agent"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.update(messages={}), "messages: expected a list, got an object"),
        (lambda t: t["messages"].__setitem__(2, 7), "messages[2]: expected a message object, got a number"),
        (
            lambda t: t["messages"][2].update(role="observer"),
            'messages[2].role: expected "system", "user", "assistant", "tool" or "exit", got "observer"',
        ),
        (
            lambda t: t["messages"][2]["tool_calls"][0].update(function=[]),
            "messages[2].tool_calls[0].function: expected an object, got a list",
        ),
    ],
)
def test_a_damaged_trajectory_names_the_field(change: object, reason: str) -> None:
    data = json.loads(LAST_RUN.read_bytes())
    change(data)  # type: ignore[operator]
    (error,) = get_importer("mini-swe-agent").parse(io.BytesIO(json.dumps(data).encode()), "x.traj.json")
    assert isinstance(error, RecordError)
    assert (error.reason, error.json_path) == (reason, "$")


def test_the_runs_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="mini", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert run_import(engine, paths=[ROOT], source="mini", workers=0).conversations_added == 0
