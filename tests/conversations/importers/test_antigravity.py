"""Google Antigravity's agent transcripts: steps written by hand in the shape of a real transcript a repository
committed (`{step_index, source, type, status, created_at, content}`, `PLANNER_RESPONSE` with `thinking` and
`tool_calls` whose argument values are JSON of their own, tool steps after it, system steps between)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import

from .helpers import parse, parse_one, turns

CONVERSATION_ID = "0c5a7d2e-2f47-4a3b-9d1e-6b2f0a9c4e11"


def _step(index: int, source: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "step_index": index,
        "source": source,
        "type": kind,
        "status": "DONE",
        "created_at": "2026-06-18T22:17:25Z",
        **fields,
    }


STEPS = [
    _step(
        0,
        "USER_EXPLICIT",
        "USER_INPUT",
        content="<USER_REQUEST>\nlist the migrations folder and tell me the latest one\n</USER_REQUEST>\n"
        "<ADDITIONAL_METADATA>\nThe current local time is 2026-06-18T23:17:25+01:00.\n</ADDITIONAL_METADATA>",
    ),
    _step(1, "SYSTEM", "CONVERSATION_HISTORY", content="(no earlier conversations)"),
    _step(
        2,
        "MODEL",
        "PLANNER_RESPONSE",
        content="Let me look at the folder.",
        thinking="The user wants the newest migration file.",
        tool_calls=[
            {
                "name": "list_dir",
                "args": {"DirectoryPath": '"d:\\\\shop\\\\migrations"', "Recursive": "false"},
            }
        ],
    ),
    _step(3, "MODEL", "LIST_DIRECTORY", content="0001_init.py\n0002_orders.py\n0010_refunds.py"),
    _step(4, "MODEL", "PLANNER_RESPONSE", content="The latest is 0002_orders.py."),
    _step(
        5, "USER_EXPLICIT", "USER_INPUT", content="<USER_REQUEST>\nno, 0010 sorts after 0002\n</USER_REQUEST>"
    ),
    _step(6, "MODEL", "PLANNER_RESPONSE", content="You're right: 0010_refunds.py is the latest migration."),
    _step(7, "SYSTEM", "SYSTEM_MESSAGE", content="<SYSTEM_MESSAGE>subagent finished</SYSTEM_MESSAGE>"),
]


def _jsonl(steps: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(step).encode() + b"\n" for step in steps)


def test_a_transcript_is_detected_and_read_as_prompts_answers_and_tool_calls() -> None:
    data = _jsonl(STEPS)
    assert detect_format(data, "transcript_full.jsonl") == "antigravity"
    path = f"brain/{CONVERSATION_ID}/.system_generated/logs/transcript_full.jsonl"
    conversation = parse_one("antigravity", data, path)
    assert turns(conversation) == [
        ("user", "list the migrations folder and tell me the latest one"),
        ("assistant", "Let me look at the folder.\n\nThe latest is 0002_orders.py."),
        ("user", "no, 0010 sorts after 0002"),
        ("assistant", "You're right: 0010_refunds.py is the latest migration."),
    ]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "The user wants the newest migration file."},
        {"type": "text", "text": "Let me look at the folder."},
        {
            "type": "tool_use",
            "id": None,
            "name": "list_dir",
            "input": {"DirectoryPath": "d:\\shop\\migrations", "Recursive": False},
        },
        {
            "type": "tool_result",
            "tool_use_id": None,
            "content": "0001_init.py\n0002_orders.py\n0010_refunds.py",
            "is_error": False,
        },
        {"type": "text", "text": "The latest is 0002_orders.py."},
    ]
    assert (conversation.external_id, conversation.dropped) == (CONVERSATION_ID, {"system step": 2})
    assert conversation.title == "list the migrations folder and tell me the latest one"


def test_a_field_antigravity_cut_loses_its_mark_and_a_prompt_alone_is_skipped() -> None:
    cut = _step(
        0,
        "USER_EXPLICIT",
        "USER_INPUT",
        content="<USER_REQUEST>\nhere is the whole spec: build a shop\n<truncated 1775 bytes>\n\nNOTE: The output was "
        "truncated because it was too long. Use a more targeted query.",
        truncated_fields=["content"],
    )
    conversation = parse_one("antigravity", _jsonl([cut, *STEPS[2:5]]), "gemini-session.jsonl")
    assert conversation.turns[0].text == "here is the whole spec: build a shop"
    assert conversation.dropped == {"truncated by Antigravity": 1}
    assert conversation.external_id == "gemini-session.jsonl"
    conversations, errors = parse("antigravity", _jsonl(STEPS[:2]), "transcript.jsonl")
    assert (conversations, errors) == ([], [])


def test_the_full_transcript_is_read_and_the_cut_one_beside_it_skipped(
    engine: Engine, tmp_path: Path
) -> None:
    logs = tmp_path / "antigravity" / "brain" / CONVERSATION_ID / ".system_generated" / "logs"
    logs.mkdir(parents=True)
    (logs / "transcript_full.jsonl").write_bytes(_jsonl(STEPS))
    (logs / "transcript.jsonl").write_bytes(_jsonl(STEPS[:1] + STEPS[4:]))
    summary = run_import(engine, paths=[tmp_path / "antigravity"])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert [report["format"] for report in summary.file_reports if report["format"]] == ["antigravity"]
    again = run_import(engine, paths=[tmp_path / "antigravity"])
    assert (again.conversations_added, again.duplicates) == (0, 1)
