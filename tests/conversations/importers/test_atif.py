"""ATIF trajectories (Harbor's Agent Trajectory Interchange Format), written by hand in the shape of its RFC and of a
committed terminus-2 trajectory (tenth fetch: matched no format)."""

from __future__ import annotations

import io
import json
from typing import Any

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped

from .helpers import turns


def _trajectory(*steps: dict[str, Any]) -> bytes:
    record = {
        "schema_version": "ATIF-v1.7",
        "session_id": "559effa5",
        "agent": {"name": "terminus-2", "version": "2.0.0", "model_name": "anthropic/claude-fable-5"},
        "steps": [{"step_id": number, **step} for number, step in enumerate(steps, 1)],
    }
    return json.dumps(record, indent=2).encode()


def _read(data: bytes) -> list[Any]:
    return list(get_importer("atif").parse(io.BytesIO(data), "trajectory.json"))


TRAJECTORY = _trajectory(
    {"source": "system", "message": "You solve tasks in a Linux shell."},
    {"source": "user", "message": "Count the PDF files in /app/documents."},
    {
        "source": "agent",
        "reasoning_content": "List the folder first.",
        "message": "Analysis: nothing run yet. Plan: list the folder.",
        "tool_calls": [
            {"tool_call_id": "call_0_1", "function_name": "bash_command", "arguments": {"cmd": "ls"}}
        ],
        "observation": {"results": [{"content": "a.pdf b.pdf c.jpg"}]},
    },
    {"source": "agent", "message": "There are 2 PDF files."},
    {"source": "user", "message": "you missed the ones in subfolders"},
    {
        "source": "agent",
        "message": "Right: with subfolders there are 5.",
        "tool_calls": [
            {
                "tool_call_id": "c1",
                "function_name": "bash_command",
                "arguments": {"cmd": "find . -name '*.pdf'"},
            },
            {"tool_call_id": "c2", "function_name": "bash_command", "arguments": {"cmd": "wc -l"}},
        ],
        "observation": {
            "results": [{"source_call_id": "c2", "content": "5"}, {"source_call_id": "c1", "content": "./x"}]
        },
    },
    {"source": "system", "message": "context compacted"},
)


def test_a_trajectorys_steps_are_the_turns_and_its_observations_the_results() -> None:
    assert detect_format(TRAJECTORY, "trajectory.json") == "atif"
    (chat,) = _read(TRAJECTORY)
    assert isinstance(chat, ParsedConversation)
    assert chat.system_prompt == "You solve tasks in a Linux shell."
    assert turns(chat) == [
        ("user", "Count the PDF files in /app/documents."),
        ("assistant", "Analysis: nothing run yet. Plan: list the folder.\n\nThere are 2 PDF files."),
        ("user", "you missed the ones in subfolders"),
        ("assistant", "Right: with subfolders there are 5."),
    ]
    first = chat.turns[1].blocks or []
    assert [b["type"] for b in first] == ["thinking", "text", "tool_use", "tool_result", "text"]
    assert first[3]["tool_use_id"] == "call_0_1"  # the step's only call
    last = [b for b in chat.turns[3].blocks or [] if b["type"] == "tool_result"]
    assert [(b["tool_use_id"], b["content"]) for b in last] == [("c2", "5"), ("c1", "./x")]
    assert chat.external_id == "559effa5"
    assert chat.metadata == {
        "agent": "terminus-2",
        "agent_version": "2.0.0",
        "model": "anthropic/claude-fable-5",
        "schema_version": "ATIF-v1.7",
    }
    assert chat.dropped == {"system event": 1}


def test_a_bad_step_is_named_and_a_run_without_an_answer_is_skipped() -> None:
    (error,) = _read(_trajectory({"source": "user", "message": "hi"}, {"source": "robot", "message": "?"}))
    assert isinstance(error, RecordError)
    assert error.reason == 'steps[1].source: expected "system", "user" or "agent", got \'robot\''
    assert _read(_trajectory({"source": "user", "message": "hi"})) == [
        Skipped("ATIF trajectory without a message and an answer")
    ]
    assert detect_format(b'{"schema_version": "1.0", "steps": []}', "t.json") != "atif"
