"""Ollama Modelfiles with MESSAGE lines (`ollama show --modelfile` after `/save` in `ollama run`, or written by
hand): fixtures in tests/fixtures/real_formats/ollama/, hand-written in the syntax of Ollama's
`parser/parser.go` (one and three double quotes, multi-line values, lowercase commands, LICENSE and TEMPLATE
blocks)."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "ollama"
SAVED, HANDWRITTEN, PLAIN = ROOT / "saved-sql-chat.txt", ROOT / "Modelfile", ROOT / "plain.Modelfile"


def _parse(data: bytes, name: str = "Modelfile") -> list[object]:
    return list(get_importer("ollama").parse(io.BytesIO(data), name))


def test_modelfiles_are_detected_by_content() -> None:
    assert detect_format(SAVED.read_bytes(), "show-output.txt") == "ollama"
    assert detect_format(HANDWRITTEN.read_bytes(), "tutor") == "ollama"
    # Without messages only its name tells a Modelfile; a Dockerfile is not one.
    assert detect_format(PLAIN.read_bytes(), "models/plain.Modelfile") == "ollama"
    assert detect_format(PLAIN.read_bytes(), "notes.txt") is None
    assert detect_format(b"FROM python:3.12\nRUN pip install flask\n", "Dockerfile") is None


def test_a_saved_chat_reads_its_messages() -> None:
    (conversation,) = _parse(SAVED.read_bytes(), "ollama/saved-sql-chat.txt")
    assert isinstance(conversation, ParsedConversation)
    assert (conversation.external_id, conversation.title) == ("ollama/saved-sql-chat.txt", "sql-helper")
    assert conversation.metadata == {"model": "sql-helper:latest"}
    assert conversation.system_prompt == "You are a database assistant. Prefer standard SQL."
    texts = turns(conversation)
    assert [role for role, _ in texts] == ["user", "assistant", "user", "assistant", "user"]
    # Three double quotes keep the text's own quotes; one keeps its line breaks.
    assert texts[1][1].endswith('so "rn <= 3" keeps three.')
    assert texts[1][1].startswith(
        "Use a window function and keep the first three rows of each partition:\n\n```sql\n"
    )
    assert texts[2] == ("user", "we're on MySQL 5.7\nit says syntax error near '(PARTITION BY'")
    assert texts[3][1].endswith("Add an index on (customer_id, created_at) so the subquery stays fast.")
    assert texts[4] == ("user", "thanks, that works")  # `message`, lowercase, is a command too


def test_a_handwritten_modelfile_names_its_base_model() -> None:
    (conversation,) = _parse(HANDWRITTEN.read_bytes(), "tutor/Modelfile")
    assert isinstance(conversation, ParsedConversation)
    assert conversation.metadata == {"base_model": "llama3.2:3b"}
    assert conversation.title == "What is 15% of 80?"
    assert conversation.system_prompt == "You are a patient math tutor. Show each step."
    assert turns(conversation)[2] == ("user", "that's not right, 10% of 80 is already 8")


def test_a_model_definition_is_skipped() -> None:
    (skipped,) = _parse(PLAIN.read_bytes())
    assert isinstance(skipped, Skipped)
    assert skipped.reason == "Ollama Modelfile without MESSAGE lines (a model definition, not a conversation)"


def test_errors_name_their_line() -> None:
    head = b"FROM llama3\nMESSAGE user hi\n"
    for data, line, reason in (
        (head + b"MESAGE assistant hello\n", 3, "not a Modelfile command: 'MESAGE'"),
        (
            head + b"MESSAGE bot hello\n",
            3,
            'MESSAGE role must be "system", "user" or "assistant", got \'bot\'',
        ),
        (head + b'\nMESSAGE assistant """hello\nthere\n', 4, 'a value opened with """ is never closed'),
    ):
        (error,) = _parse(data)
        assert isinstance(error, RecordError)
        assert (error.line, error.reason) == (line, reason)
    (error,) = _parse(head)
    assert isinstance(error, RecordError)
    assert error.reason == "Ollama Modelfile: no assistant answer: only the user's messages"


def test_import_stores_the_pairs_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="ollama", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.errors) == (2, 2, [])
    assert dict(summary.skipped) == {
        "Ollama Modelfile without MESSAGE lines (a model definition, not a conversation)": 1
    }
    assert run_import(engine, paths=[ROOT], source="ollama", workers=0).conversations_added == 0
