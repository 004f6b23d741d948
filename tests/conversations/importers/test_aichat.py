"""aichat sessions (YAML): fixtures in tests/fixtures/real_formats/aichat/, hand-written in the shape of aichat's
`src/config/session.rs` and `src/client/message.rs` (serde_yaml; a compressed session, a tool round, an image
part, an auto-saved session, an agent's session, and the config folder's other files)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.files import InputFile, NotConversation, iter_input_files
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError
from app.conversations.importing import run_import

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "aichat"
COMPRESSED = ROOT / "sessions" / "python-dates.yaml"
AUTOSAVED = ROOT / "sessions" / "_" / "20250502T143601-json-schema.yaml"
AGENT = ROOT / "agents" / "coder" / "sessions" / "fix-tests.yaml"
SIMPLE = b"messages:\n- role: user\n  content: Q\n- role: assistant\n  content: A\n"


def _parse(data: bytes, name: str = "sessions/s.yaml") -> list[object]:
    return list(get_importer("aichat").parse(io.BytesIO(data), name))


def test_sessions_are_detected_by_content() -> None:
    for path in (COMPRESSED, AUTOSAVED, AGENT):
        assert detect_format(path.read_bytes()[:65536], "download.txt") == "aichat"
    assert detect_format(b"model: x\nmessages:\n  - role: 'user'\n    content: hi\n", "s.yml") == "aichat"
    for other in (
        (ROOT / "config.yaml").read_bytes(),
        b"services:\n  web:\n    image: nginx\n",
        b"## User\nmessages:\n- role: user\n",  # Markdown that mentions the keys
    ):
        assert detect_format(other, "x.yaml") != "aichat"


def test_a_compressed_session_reads_both_lists_in_order() -> None:
    (conversation,) = _parse(COMPRESSED.read_bytes(), "aichat/sessions/python-dates.yaml")
    assert isinstance(conversation, ParsedConversation)
    assert (conversation.external_id, conversation.title) == (
        "aichat/sessions/python-dates.yaml",
        "python-dates",
    )
    assert conversation.system_prompt == "You are a senior Python developer. Answer with code first."
    assert conversation.metadata == {"model": "openai:gpt-4o", "role_name": "pythonista", "compressed": True}
    # The summary aichat put at the start of `messages`, and the image part, are counted, not turns.
    assert conversation.dropped == {"summary": 1, "image": 1}
    texts = turns(conversation)
    assert [role for role, _ in texts] == ["user", "assistant"] * 4
    # Scalars stay the text aichat wrote: not a boolean, not a date.
    assert texts[2] == ("user", "yes")
    assert texts[3][1] == "Good. Note that `day` is a datetime; call `.date()` for a date: 2024-03-07."
    assert (
        texts[4][1]
        == "Now parse a whole column of them from this CSV, fast:\n\ndate,amount\n2024-03-07,12\n2024-03-08,7"
    )
    assert texts[6] == ("user", "that's slow for a million rows, I said fast. And here is the profile.")


def test_a_tool_round_is_the_answers_calls_results_and_thinking() -> None:
    (conversation,) = _parse(COMPRESSED.read_bytes())
    assert isinstance(conversation, ParsedConversation)
    answer = conversation.turns[5]
    assert answer.text.startswith("Loop over the rows with `csv.DictReader`")
    assert answer.blocks is not None
    assert answer.blocks[:3] == [
        {"type": "thinking", "thinking": "The file is small; read it first."},
        {"type": "tool_use", "id": "call_Jx1", "name": "fs_cat", "input": {"path": "sales.csv"}},
        {
            "type": "tool_result",
            "tool_use_id": "call_Jx1",
            "content": '{"contents":"date,amount\\n2024-03-07,12"}',
            "is_error": False,
        },
    ]


def test_titles_and_agents() -> None:
    (autosaved,) = _parse(AUTOSAVED.read_bytes(), "aichat/sessions/_/20250502T143601-json-schema.yaml")
    assert isinstance(autosaved, ParsedConversation)
    assert autosaved.title == "Write a JSON schema for an order with an id and a list of items."
    assert autosaved.system_prompt is None
    (agent,) = _parse(AGENT.read_bytes(), "aichat/agents/coder/sessions/fix-tests.yaml")
    assert isinstance(agent, ParsedConversation)
    assert agent.title == "fix-tests"
    assert agent.metadata == {"model": "openai:gpt-4o-mini", "agent": "coder"}
    assert agent.system_prompt == "You are a coding agent working in /home/dev/shop."


def test_errors_name_the_line_or_the_field() -> None:
    (error,) = _parse(SIMPLE + b"- role: user\n  content: [unclosed\n")
    assert isinstance(error, RecordError)
    assert error.line == 8
    assert error.reason.startswith("not valid YAML: ")
    (error,) = _parse(
        b"base: &a\n  role: user\n  content: Q\nmessages:\n- *a\n- role: assistant\n  content: A\n"
    )
    assert isinstance(error, RecordError)
    assert (error.line, error.reason) == (5, "not valid YAML: aliases (*name) are not read")
    (error,) = _parse(SIMPLE.replace(b"role: assistant", b"role: robot"))
    assert isinstance(error, RecordError)
    assert error.reason == 'messages[1].role: expected "system", "user", "assistant" or "tool", got \'robot\''
    (error,) = _parse(b"messages:\n  role: user\n")
    assert isinstance(error, RecordError)
    assert error.reason == "messages: expected a list, got an object"
    with pytest.raises(FileFormatError, match="expected a YAML mapping with `messages`, got a list"):
        _parse(b"- role: user\n  content: Q\n")


def test_the_config_folders_other_files_are_skipped(tmp_path: Path) -> None:
    items = {Path(i.name).relative_to(ROOT).as_posix(): i for i in iter_input_files([ROOT])}
    assert isinstance(items["config.yaml"], NotConversation)
    assert isinstance(items["roles/shell.md"], NotConversation)
    assert items["config.yaml"].reason == "aichat settings, roles, RAG data or message log, not sessions"
    assert all(isinstance(items[name], InputFile) for name in items if "/sessions/" in f"/{name}")


def test_import_stores_the_pairs_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="aichat", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.errors) == (3, 3, [])
    assert run_import(engine, paths=[ROOT], source="aichat", workers=0).conversations_added == 0
