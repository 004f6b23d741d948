"""SWE-agent trajectories: the fixtures (tests/fixtures/real_formats/swe_agent/) are written by hand in the shape of
its `get_trajectory_data` and the demonstrations it ships: a 1.x run with function calling (thinking blocks, text
parts, a demonstration shown to the model) and a 0.x run without (commands in `action`, their output as the next
user item). The outside probe (tests/fixtures/outside_probes/agents-4/swe-agent) adds a person's correction."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import
from app.pairs.findings import find_pairs

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "swe_agent"
(V1,) = (ROOT / "v1").rglob("*.traj")
V0 = ROOT / "v0" / "marshmallow-code__marshmallow-1867.traj"


def _one(data: bytes, name: str) -> ParsedConversation:
    (conversation,) = get_importer("swe-agent").parse(io.BytesIO(data), name)
    assert isinstance(conversation, ParsedConversation)
    return conversation


def test_a_function_calling_run_keeps_its_calls_results_and_thinking() -> None:
    assert detect_format(V1.read_bytes(), V1.name) == "swe-agent"
    run = _one(V1.read_bytes(), str(V1))
    assert [t.role for t in run.turns] == ["user", "assistant"]
    assert run.turns[0].text.startswith("<uploaded_files>\n/testbed\n</uploaded_files>")
    assert (
        run.system_prompt == "You are a helpful assistant that can interact with a computer to solve tasks."
    )
    blocks = run.turns[1].blocks or []
    assert [b["type"] for b in blocks[:4]] == ["thinking", "text", "tool_use", "tool_result"]
    assert (blocks[2]["id"], blocks[2]["name"]) == ("toolu_01", "bash")
    assert (blocks[3]["tool_use_id"], blocks[3]["content"]) == (
        "toolu_01",
        "OBSERVATION:\n75:    __slots__ = ('_mhash', '_args', '_assumptions')",
    )
    assert run.dropped == {"demonstration": 1}
    assert run.title == "sympy__sympy-20590"
    assert run.metadata == {
        "model": "anthropic/claude-sonnet-4-20250514",
        "exit_status": "submitted",
        "api_calls": 3,
        "instance_cost": 0.12,
        "swe_agent_version": "1.0.1",
    }
    assert find_pairs(run) == []


def test_without_function_calling_the_action_is_the_call_and_the_next_user_item_its_output() -> None:
    assert detect_format(V0.read_bytes(), V0.name) == "swe-agent"
    run = _one(V0.read_bytes(), str(V0))
    # Nobody spoke after the task: the observations are the environment's.
    assert [t.role for t in run.turns] == ["user", "assistant"]
    blocks = run.turns[1].blocks or []
    assert [b["type"] for b in blocks] == [
        "text",
        "tool_use",
        "tool_result",
        "text",
        "tool_use",
        "tool_result",
    ]
    assert blocks[1]["name"] == "create"
    assert blocks[1]["input"] == {"command": "create reproduce.py\n"}
    assert run.metadata == {"exit_status": "submitted", "api_calls": 2, "instance_cost": 0.4}


def test_thinking_blocks_that_are_not_a_list_are_left_out() -> None:
    data = json.loads(V1.read_bytes())
    data["history"][3]["thinking_blocks"] = 7
    run = _one(json.dumps(data).encode(), "x.traj")
    assert [b["type"] for b in run.turns[1].blocks or []][:2] == ["text", "tool_use"]


def test_a_message_after_answered_calls_is_a_turn_of_its_own() -> None:
    data = json.loads(V1.read_bytes())
    data["history"].insert(
        5,
        {
            "role": "user",
            "content": "No, don't touch basic.py; the mixin is the problem.",
            "message_type": "observation",
        },
    )
    run = _one(json.dumps(data).encode(), "x.traj")
    assert [t.role for t in run.turns] == ["user", "assistant", "user", "assistant"]


def test_a_long_trajectory_is_known_by_its_first_steps() -> None:
    head = V1.read_bytes()[:500]
    assert b'"history"' not in head
    assert detect_format(head, V1.name) == "swe-agent"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.update(history="x"), "history: expected a list, got a string"),
        (lambda t: t["history"].__setitem__(3, None), "history[3]: expected an object, got null"),
        (
            lambda t: t["history"][3].update(role="critic"),
            'history[3].role: expected "system", "user", "assistant" or "tool", got "critic"',
        ),
        (
            lambda t: t["history"][3]["tool_calls"][0].update(function={"arguments": "{}"}),
            "history[3].tool_calls[0].function.name: expected a string, got null",
        ),
    ],
)
def test_a_damaged_trajectory_names_the_field(change: object, reason: str) -> None:
    data = json.loads(V1.read_bytes())
    change(data)  # type: ignore[operator]
    (error,) = get_importer("swe-agent").parse(io.BytesIO(json.dumps(data).encode()), "x.traj")
    assert isinstance(error, RecordError)
    assert (error.reason, error.json_path) == (reason, "$")


def test_the_runs_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="swe", workers=0)
    assert (summary.conversations_added, summary.error_count) == (2, 0)
    assert run_import(engine, paths=[ROOT], source="swe", workers=0).conversations_added == 0
