"""`--tools keep|drop`: tool calls and results of the answers in OpenAI chat shape, or the text answer only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from app.db import session_scope
from app.errors import ValidationFailedError
from app.releases.export.dataset import export_file
from tests.releases.factories import add_pair
from tests.releases.openai_validator import assert_valid

BLOCKS: list[dict[str, Any]] = [
    {"type": "thinking", "thinking": "private"},
    {"type": "text", "text": "Let me check."},
    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}},
    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.py\nb.py", "is_error": False},
    {"type": "text", "text": "Two files."},
]


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        seeded = add_pair(session, chosen="Let me check.\n\nTwo files.")
        seeded.turns[-1].blocks = BLOCKS
        session.add(seeded.turns[-1])


def _rows(engine: Engine, tmp_path: Path, **kwargs: Any) -> list[dict[str, Any]]:
    out = tmp_path / "out.jsonl"
    with session_scope(engine, read_only=True) as session:
        result = export_file(session, out=out, **kwargs)
    assert result.lint is not None
    assert not any(result.lint.format_errors.values()), result.lint.format_errors
    if kwargs["format"] == "openai":
        assert_valid(out, kind=kwargs["kind"], training=False)
    return [orjson.loads(line) for line in out.read_bytes().splitlines()]


def test_keep_writes_tool_calls_and_tool_messages(release_engine: Engine, tmp_path: Path) -> None:
    _seed(release_engine)
    (row,) = _rows(release_engine, tmp_path, kind="sft", format="openai", tools="keep")
    answer = row["messages"][1:]
    assert answer == [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "toolu_1", "type": "function", "function": {"name": "Bash", "arguments": '{"command":"ls"}'}},
        ]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "a.py\nb.py"},
        {"role": "assistant", "content": "Let me check.\n\nTwo files."},
    ]  # fmt: skip


def test_trl_dpo_chosen_carries_the_same_messages(release_engine: Engine, tmp_path: Path) -> None:
    _seed(release_engine)
    (row,) = _rows(release_engine, tmp_path, kind="dpo", format="trl", tools="keep")
    assert [m["role"] for m in row["chosen"]] == ["assistant", "tool", "assistant"]
    assert row["rejected"] == [{"role": "assistant", "content": "Use URI versioning."}]


def test_drop_is_the_default_and_keeps_the_text(release_engine: Engine, tmp_path: Path) -> None:
    _seed(release_engine)
    (row,) = _rows(release_engine, tmp_path, kind="sft", format="openai")
    assert row["messages"][-1] == {"role": "assistant", "content": "Let me check.\n\nTwo files."}
    assert all("tool_calls" not in m for m in row["messages"])


@pytest.mark.parametrize(("fmt", "style"), [("parquet", "conversational"), ("trl", "standard")])
def test_keep_needs_message_lists(release_engine: Engine, tmp_path: Path, fmt: str, style: str) -> None:
    with session_scope(release_engine, read_only=True) as session, pytest.raises(ValidationFailedError):
        export_file(session, out=tmp_path / "x", kind="dpo", format=fmt, dpo_style=style, tools="keep")
