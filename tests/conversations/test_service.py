"""Storing parsed conversations (service.py): an answer's words are stored once, and nothing is lost by it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.conversations.files import InputFile
from app.conversations.importers.base import ParsedConversation, ParsedTurn
from app.conversations.importing import run_import
from app.conversations.models import Conversation, Turn
from app.conversations.reading import FileRead, read_file
from app.conversations.service import content_hash, stored_blocks

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REAL_CLAUDE_CODE = FIXTURES / "samples" / "claude-code-real-format"
TOOL_USE = {"type": "tool_use", "id": "tu_1", "name": "Read", "input": {"file_path": "/src/app.py"}}
TOOL_RESULT = {"type": "tool_result", "tool_use_id": "tu_1", "content": "def main(): ...", "is_error": False}


def text(words: str) -> dict[str, Any]:
    return {"type": "text", "text": words}


def rebuilt(turn_text: str, stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blocks as parsed, from the stored form: each text block is the next `chars` characters of the
    turn's text, and the text blocks are a blank line apart."""
    blocks, at = [], 0
    for block in stored:
        if block.get("type") == "text" and "chars" in block:
            blocks.append(text(turn_text[at : at + block["chars"]]))
            at += block["chars"] + 2
        else:
            blocks.append(block)
    return blocks


def opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: path.open("rb")


def parsed_fixtures() -> list[tuple[str, ParsedConversation]]:
    """Every conversation the test fixtures hold (samples, real public formats, detection cases)."""
    found = []
    for path in sorted(p for p in FIXTURES.rglob("*") if p.is_file()):
        item = InputFile(path.name, path.stat().st_size, opener(path))
        for result in read_file(item, format="auto", read=FileRead()):
            if isinstance(result, ParsedConversation):
                found.append((str(path.relative_to(FIXTURES)), result))
    return found


class TestStoredBlocks:
    def test_text_blocks_keep_their_length_not_their_words(self) -> None:
        turn = ParsedTurn("assistant", "Let me read it.\n\nFixed.", [text("Let me read it."), TOOL_USE,
                                                                      TOOL_RESULT, text("Fixed.")])  # fmt: skip
        assert stored_blocks(turn) == [
            {"type": "text", "chars": 15},
            TOOL_USE,
            TOOL_RESULT,
            {"type": "text", "chars": 6},
        ]
        assert turn.blocks is not None
        assert turn.blocks[0] == text("Let me read it.")  # the parse is left as it was

    @pytest.mark.parametrize(
        ("turn_text", "blocks"),
        [
            ("Something else.", [text("Let me read it."), TOOL_USE]),  # the text is not the blocks' join
            ("A\nB", [text("A"), text("B"), TOOL_USE]),  # joined by one line break, not a blank line
            ("", [{"type": "text", "text": None}, TOOL_USE]),  # no words to keep
            ("", [TOOL_USE, TOOL_RESULT]),  # no text block at all
        ],
    )
    def test_blocks_built_otherwise_are_stored_whole(
        self, turn_text: str, blocks: list[dict[str, Any]]
    ) -> None:
        turn = ParsedTurn("assistant", turn_text, blocks)
        assert stored_blocks(turn) is blocks

    def test_a_user_turns_context_and_no_blocks_are_stored_as_they_are(self) -> None:
        context = [{"type": "context", "tag": "bash-stdout", "text": "ok"}]
        assert stored_blocks(ParsedTurn("user", "run it", context)) is context
        assert stored_blocks(ParsedTurn("user", "hello")) is None

    def test_every_fixture_answer_is_rebuilt_exactly_from_what_is_stored(self) -> None:
        slimmed = 0
        for name, conversation in parsed_fixtures():
            for turn in conversation.turns:
                if not turn.blocks:
                    continue
                stored = stored_blocks(turn)
                assert stored is not None
                assert rebuilt(turn.text, stored) == turn.blocks, name
                slimmed += stored is not turn.blocks
        # The formats with tool calls (Claude Code, Anthropic, Markdown with tools, ...) build answers this way.
        assert slimmed >= 30


class TestImportStoresWordsOnce:
    def test_stored_answers_hold_their_words_once_and_the_hash_is_the_parsed_ones(
        self, engine: Engine
    ) -> None:
        summary = run_import(engine, paths=[REAL_CLAUDE_CODE])
        assert summary.conversations_added > 0
        parsed = {
            conversation.external_id: conversation
            for name, conversation in parsed_fixtures()
            if name.startswith("samples/claude-code-real-format/")
        }
        with Session(engine) as session:
            stored = session.exec(select(Conversation)).all()
            for conversation in stored:
                original = parsed[conversation.external_id]
                # Hashed as parsed, not as stored: a file imported before this change stays a duplicate.
                assert conversation.content_hash == content_hash(original)
                turns = session.exec(
                    select(Turn).where(Turn.conversation_id == conversation.id).order_by(col(Turn.index))
                ).all()
                for turn, parsed_turn in zip(turns, original.turns, strict=True):
                    assert turn.text == parsed_turn.text
                    assert not any(b.get("type") == "text" and "text" in b for b in turn.blocks or [])
                    assert rebuilt(turn.text, turn.blocks or []) == (parsed_turn.blocks or [])
        assert any(
            b.get("type") == "text" for t in parsed.values() for turn in t.turns for b in turn.blocks or []
        )
        again = run_import(engine, paths=[REAL_CLAUDE_CODE])
        assert (again.conversations_added, again.duplicates) == (0, summary.conversations_added)
