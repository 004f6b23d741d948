"""org-ai's chats: the fixture (tests/fixtures/real_formats/org_ai/journal.org) is written by hand the way org-ai
fills a block (`org-ai--collect-chat-messages` reads it back): a chat under a heading with a TODO keyword and tags,
with options, a system prompt and the empty `[ME]: ` org-ai leaves after each answer; a chat in capitals whose prompt
has no marker; and an image block, a completion block and an unanswered chat, which are not conversations."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "org_ai"
JOURNAL = ROOT / "journal.org"


def _parse(data: bytes, name: str = "journal.org") -> list[object]:
    return list(get_importer("org-ai").parse(io.BytesIO(data), name))


def test_each_block_is_a_chat_and_the_rest_is_skipped() -> None:
    assert detect_format(JOURNAL.read_bytes(), JOURNAL.name) == "org-ai"
    retry, kanji, image, completion, unanswered = _parse(JOURNAL.read_bytes())
    assert (image, completion, unanswered) == (
        Skipped("org-ai image block (makes a picture, no chat)"),
        Skipped("org-ai completion block (a prompt and its continuation, no turns)"),
        Skipped("org-ai block without a prompt and an answer"),
    )
    assert isinstance(retry, ParsedConversation)
    assert isinstance(kanji, ParsedConversation)
    assert (retry.external_id, retry.title, retry.system_prompt, retry.metadata) == (
        "journal.org#1",
        "Retry loop for the flaky upload",
        "You are a terse senior Python reviewer.",
        {"model": "gpt-4o"},
    )
    assert [role for role, _ in turns(retry)] == ["user", "assistant", "user", "assistant"]
    assert turns(retry)[0] == ("user", "How do I retry a function three times in Python when it raises?")
    assert turns(retry)[2][1].startswith("That's wrong: it swallows the last error silently")
    assert turns(retry)[3][1].endswith("Backing off between tries gives the server time to recover.")
    (pair,) = [p for p in find_pairs(retry) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    # Text before the first marker is the person's (org-ai reads it so); the nearest heading is the title.
    assert (kanji.external_id, kanji.title, kanji.metadata) == (
        "journal.org#2",
        'Kanji for "river"',
        {"model": "claude-sonnet-4-5", "service": "anthropic"},
    )
    assert turns(kanji) == [
        ("user", 'What is the kanji for "river" and how is it read?'),
        ("assistant", "川, read かわ (kawa) on its own and せん (sen) in compounds such as 河川."),
    ]


def test_line_breaks_written_by_windows_read_the_same() -> None:
    unix = _parse(JOURNAL.read_bytes())
    windows = _parse(JOURNAL.read_bytes().replace(b"\n", b"\r\n"))
    assert [turns(c) for c in windows if isinstance(c, ParsedConversation)] == [
        turns(c) for c in unix if isinstance(c, ParsedConversation)
    ]


def test_only_org_files_are_told_by_their_blocks() -> None:
    # org-ai's README shows blocks as examples in Markdown: such a page is not read as chats.
    assert detect_format(JOURNAL.read_bytes(), "org-ai-notes.md") != "org-ai"
    assert detect_format(b"* Heading\n\nJust notes, no blocks.\n", "notes.org") is None


def test_an_unclosed_block_is_an_error_with_its_line_after_the_chats_before_it() -> None:
    data = JOURNAL.read_bytes() + b"\n* Unfinished\n#+begin_ai\n[ME]: And the kanji for mountain?\n"
    *read, error = _parse(data)
    assert len([c for c in read if isinstance(c, ParsedConversation)]) == 2
    lines = data.decode().splitlines()
    line = max(number for number, text in enumerate(lines, 1) if text == "#+begin_ai")
    assert error == RecordError(reason="#+begin_ai without a #+end_ai after it", line=line)


def test_a_file_without_blocks_is_one_clear_error() -> None:
    with pytest.raises(FileFormatError, match=r"expected org-ai chats: #\+begin_ai \.\.\. #\+end_ai blocks"):
        _parse(b"* Notes\n\nNothing here.\n")


def test_the_chats_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="org-ai", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert dict(summary.skipped) == {
        "org-ai image block (makes a picture, no chat)": 1,
        "org-ai completion block (a prompt and its continuation, no turns)": 1,
        "org-ai block without a prompt and an answer": 1,
    }
    assert run_import(engine, paths=[ROOT], source="org-ai", workers=0).conversations_added == 0
