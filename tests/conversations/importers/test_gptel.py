"""gptel's Org chats: the fixtures (tests/fixtures/real_formats/gptel/) are built by hand the way gptel saves its state
(`gptel-org--save-state`): a chat with a custom prompt and response label, a `#+title:`, the system prompt with
escaped line breaks, a tool span and non-ASCII text (the bounds count characters, not bytes), and an early chat whose
bounds are `(BEG . END)` pairs."""

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

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "gptel"
CHAT = ROOT / "umlaute.org"
EARLY = ROOT / "stash.org"


def _parse(data: bytes, name: str = "chat.org") -> list[object]:
    return list(get_importer("gptel").parse(io.BytesIO(data), name))


def test_the_bounds_split_the_answers_from_the_prompts() -> None:
    assert detect_format(CHAT.read_bytes(), CHAT.name) == "gptel"
    (chat,) = _parse(CHAT.read_bytes(), str(CHAT))
    assert isinstance(chat, ParsedConversation)
    assert (chat.title, chat.system_prompt, chat.metadata) == (
        "Umlaute in Dateinamen",
        "You are a careful assistant.\nAnswer in Org.",
        {"model": "claude-3-5-sonnet-20241022", "backend": "Claude"},
    )
    assert turns(chat)[:3] == [
        ("user", "Wie benenne ich alle Dateien mit „ä“ im Namen in „ae“ um?"),
        ("assistant", "Mit =rename 's/ä/ae/' *=."),
        ("user", "Das ist falsch: =rename= ersetzt so nur das erste „ä“ pro Name. Alle ersetzen, bitte."),
    ]
    blocks = chat.turns[3].blocks or []
    assert [b["type"] for b in blocks] == ["text", "tool_result", "text"]
    assert blocks[1]["content"].startswith("$ rename -n 's/ä/ae/g' *")
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_early_bounds_and_line_breaks_written_by_windows() -> None:
    assert detect_format(EARLY.read_bytes(), EARLY.name) == "gptel"
    (chat,) = _parse(EARLY.read_bytes().replace(b"\n", b"\r\n"))
    assert isinstance(chat, ParsedConversation)
    assert turns(chat) == [
        ("user", "What does =git stash pop= do?"),
        ("assistant", "It applies the most recent stash and removes it from the stash list."),
    ]


def test_a_chat_without_an_answer_is_skipped() -> None:
    data = EARLY.read_bytes().replace(b":GPTEL_BOUNDS: ((", b":GPTEL_BOUNDS_OLD: ((")
    assert _parse(data) == [Skipped("gptel chat without a prompt and an answer")]


@pytest.mark.parametrize(
    ("bounds", "reason"),
    [
        (b"((response (5000 6000)))", "GPTEL_BOUNDS: the span 5000-6000 is outside the chat's text"),
        (b"((response (10 20)", "GPTEL_BOUNDS: cannot read"),
        (b"((response))", "GPTEL_BOUNDS: no response spans"),
    ],
)
def test_bounds_that_cannot_be_used_are_one_clear_error(bounds: bytes, reason: str) -> None:
    data = EARLY.read_bytes()
    start = data.index(b":GPTEL_BOUNDS: ") + len(b":GPTEL_BOUNDS: ")
    end = data.index(b"\n", start)
    with pytest.raises(FileFormatError, match=reason):
        _parse(data[:start] + bounds + data[end:])


def test_the_chats_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="gptel", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (4, 2, 0)
    assert run_import(engine, paths=[ROOT], source="gptel", workers=0).conversations_added == 0


def test_markdown_and_text_chats_keep_their_state_in_local_variables() -> None:
    markdown, text = ROOT / "git-unstage.md", ROOT / "capital.txt"
    assert detect_format(markdown.read_bytes(), markdown.name) == "gptel"
    assert detect_format(text.read_bytes(), text.name) == "gptel"
    (chat,) = _parse(markdown.read_bytes(), str(markdown))
    assert isinstance(chat, ParsedConversation)
    assert turns(chat) == [
        ("user", "How do I undo `git add` for one file?"),
        ("assistant", "Run `git reset`, which unstages everything you added."),
        (
            "user",
            "That's wrong for one file: `git reset` alone unstages everything. I only want `notes.txt` out.",
        ),
        (
            "assistant",
            "Right, name the file: `git restore --staged notes.txt` (or `git reset notes.txt` on older Git).",
        ),
    ]
    assert chat.system_prompt == (
        'You are a large language model living in Emacs and a helpful assistant. Respond "concisely".'
    )
    assert chat.metadata == {"model": "gpt-4.1", "backend": "Copilot"}
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    # Later versions write the spans as a dotted pair: (response . ((B E) ...)).
    (capital,) = _parse(text.read_bytes(), str(text))
    assert isinstance(capital, ParsedConversation)
    assert turns(capital) == [("user", "Cuál es la capital de Australia?"), ("assistant", "Canberra.")]


def test_a_file_without_gptels_state_is_one_clear_error() -> None:
    with pytest.raises(FileFormatError, match="expected gptel's state"):
        _parse(b"### hello\n\nhi\n")
