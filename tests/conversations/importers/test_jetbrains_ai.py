"""JetBrains AI Assistant's chat dumps: the fixtures (tests/fixtures/real_formats/jetbrains_ai/) are written by hand in
the two shapes real dumps committed to public repositories show: the 2024 one (speaker lines only, a question with
two attachments) and the 2025 one (`==== RestoredMessage #N ====` headers, `kotlin.Unit` after each message, a
`User:` line inside an answer's code block, an answer the dump lost)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "jetbrains_ai"
PANDAS = ROOT / "pandas-monthly.md"
RUST = ROOT / "rust-lifetimes.md"


def _parse(data: bytes, name: str = "chat.md") -> list[object]:
    return list(get_importer("jetbrains-ai").parse(io.BytesIO(data), name))


def _one(data: bytes) -> ParsedConversation:
    (chat,) = _parse(data)
    assert isinstance(chat, ParsedConversation)
    return chat


def test_a_2024_dump_keeps_its_attachments_apart_from_the_question() -> None:
    # Saved as .md, as people do: not the Markdown reader's.
    assert detect_format(PANDAS.read_bytes(), PANDAS.name) == "jetbrains-ai"
    chat = _one(PANDAS.read_bytes())
    assert (chat.external_id, chat.title, chat.metadata) == (
        "3b9e2d41-7c0a-4f18-9e62-d5a1c8f04b27",
        "Grouping Sales by Month in Pandas",
        {},
    )
    assert chat.system_prompt is not None
    assert chat.system_prompt.startswith("You are working on project that uses Python 3.12, pandas 2.2.")
    assert turns(chat)[0] == ("user", "how do i sum the amount column per month")
    assert [(b["name"], b["text"]) for b in chat.turns[0].blocks or []] == [
        ("Selection", 'df = pd.read_csv("sales.csv", parse_dates=["date"])'),
        (
            "Information about open file in the editor",
            'import pandas as pd\n\ndf = pd.read_csv("sales.csv", parse_dates=["date"])\nprint(df.head())',
        ),
    ]
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant"]
    assert turns(chat)[3][1].endswith("so January 2023 and January 2024 stay apart.")
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_a_2025_dump_is_split_at_its_message_headers() -> None:
    assert detect_format(RUST.read_bytes(), RUST.name) == "jetbrains-ai"
    chat = _one(RUST.read_bytes())
    assert chat.title == "Borrowed Value Does Not Live Long Enough"
    assert chat.metadata == {"model": "openai-gpt-4.1", "ide": "RustRover 2025.3"}
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant", "user"]
    assert all("kotlin.Unit" not in text and "====" not in text for _, text in turns(chat))
    # A `User:` line in an answer's code block stays text: the headers split the messages.
    assert turns(chat)[3][1].endswith(
        "error[E0515]: cannot return value referencing function parameter `v`\n```"
    )
    # The last answer is only `kotlin.Unit`: lost by the dump, left out and counted.
    assert chat.dropped == {"empty message": 1}
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_line_breaks_written_by_windows_and_a_plain_title_read_the_same() -> None:
    data = RUST.read_bytes().replace(
        b"ChatTitle(text=Borrowed Value Does Not Live Long Enough, isCustom=false)", b"Lifetimes"
    )
    chat = _one(data.replace(b"\n", b"\r\n"))
    assert chat.title == "Lifetimes"
    assert turns(chat) == turns(_one(RUST.read_bytes()))


def test_a_dump_without_an_answer_is_skipped() -> None:
    head = PANDAS.read_bytes().split(b"\nUser: \n")[0]
    assert _parse(head + b"\nUser: \nhello\n") == [
        Skipped("JetBrains AI Assistant chat without a question and an answer")
    ]


def test_a_dump_whose_context_does_not_end_is_one_clear_error() -> None:
    data = PANDAS.read_bytes().replace(b"Messages: 4\n", b"")
    with pytest.raises(
        FileFormatError, match=r"line 3: expected the end of the context: a line 'Messages: N'"
    ):
        _parse(data)


def test_the_dumps_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="jetbrains", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert dict(summary.dropped) == {"empty message": 1}
    assert run_import(engine, paths=[ROOT], source="jetbrains", workers=0).conversations_added == 0


WORKSPACE = next((ROOT.parent / "jetbrains_ai_workspace").rglob("*.xml"))


def test_the_chats_the_ide_keeps_in_a_workspace_file() -> None:
    """The IDE's own store (`<config>/<IDE><version>/workspace/<id>.xml`, the `ChatSessionStateTemp` component),
    written by hand in the shapes third-party readers of real files and the plugin's 2023 classes show: a 2025 chat
    (`displayContent`, and `internalContent` with the hidden snippet-file line), a 2023 chat (`content`), an empty
    one, between the workspace's other components."""
    assert detect_format(WORKSPACE.read_bytes(), WORKSPACE.name) == "jetbrains-ai"
    goroutines, defer, empty = _parse(WORKSPACE.read_bytes(), WORKSPACE.name)
    assert empty == Skipped("JetBrains AI Assistant chat without a question and an answer")
    assert isinstance(goroutines, ParsedConversation)
    assert isinstance(defer, ParsedConversation)
    assert (goroutines.external_id, goroutines.title, goroutines.metadata) == (
        "a7c31e52-9d04-4b6f-8e21-5f0b3d9c7a18",
        "Waiting for Goroutines in Go",
        {"model": "openai-gpt-4.1"},
    )
    assert [role for role, _ in turns(goroutines)] == ["user", "assistant", "user", "assistant"]
    assert "<llm-snippet-file>" not in turns(goroutines)[3][1]
    (pair,) = [p for p in find_pairs(goroutines) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    # No title stored: the first question is the title.
    assert (defer.title, turns(defer)[0]) == (
        "Что делает `defer` в Go?",
        ("user", "Что делает `defer` в Go?"),
    )
    # Only the hidden form kept: the snippet-file line is taken off.
    data = WORKSPACE.read_bytes().replace(
        b'<option name="displayContent" value="Right,', b'<option name="other" value="Right,'
    )
    (chat, _, _) = _parse(data, WORKSPACE.name)
    assert isinstance(chat, ParsedConversation)
    assert turns(chat)[3] == turns(goroutines)[3]


def test_a_workspace_file_that_is_not_xml_or_declares_entities_is_one_clear_error() -> None:
    with pytest.raises(FileFormatError, match=r"line 1: not valid XML"):
        _parse(b'<project><component name="ChatSessionStateTemp"><option name="chats">', "w.xml")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<project><component name="ChatSessionStateTemp">&b;</component></project>'
    )
    with pytest.raises(FileFormatError, match="XML refused"):
        _parse(bomb, "w.xml")
