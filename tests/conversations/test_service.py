"""Storing parsed conversations (service.py): an answer's words are stored once, and nothing is lost by it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

import app.conversations.service as service
from app.conversations.files import InputFile
from app.conversations.import_writer import FILE_TABLE
from app.conversations.importers.base import ParsedConversation, ParsedTurn
from app.conversations.importing import run_import, start_batch
from app.conversations.models import Conversation, ImportFile, Turn
from app.conversations.reading import FileRead, read_file
from app.conversations.service import CONVERSATION_TABLE, TURN_TABLE, content_hash, insert_rows, stored_blocks
from app.db import session_scope
from app.pairs.models import Pair, PairStatus
from app.pairs.service import PAIR_TABLE

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


def parsed_fixtures(folder: Path = FIXTURES) -> list[tuple[str, ParsedConversation]]:
    """Every conversation a fixture folder holds (all of them: samples, real public formats, detection cases)."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        item = InputFile(path.name, path.stat().st_size, opener(path))
        for result in read_file(item, format="auto", read=FileRead()):
            if isinstance(result, ParsedConversation):
                found.append((str(path.relative_to(folder)), result))
    return found


def file_row(batch_id: int, **values: Any) -> dict[str, Any]:
    """An `import_file` row, with `values` in place of the defaults."""
    return {"batch_id": batch_id, "path": "p", "format": None, "sha256": None, "size_bytes": 1,
            "conversations_added": 0, "duplicates": 0, "error_count": 0, "skipped": None,
            "dropped_parts": None, **values}  # fmt: skip


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
            conversation.external_id: conversation for _, conversation in parsed_fixtures(REAL_CLAUDE_CODE)
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


class TestBulkInsert:
    """Rows go in with one statement per table (SQLite: executemany; PostgreSQL: a binary COPY, which takes
    no cast): every kind of value reads back as it was written."""

    AWARE = datetime(2026, 12, 5, 17, 7, 3, 123456, tzinfo=UTC)
    AWKWARD = "tab\there, line\nbreak, back\\slash, \\N, quote \" ' , CR\r, emoji \U0001f642, e\u0301"

    def test_every_kind_of_value_reads_back_as_written(self, engine: Engine) -> None:
        batch_id = start_batch(engine, source="bulk")
        meta = {"cwd": "C:\\work", "ratio": 1.5, "none": None, "list": [1, "two"], "text": self.AWKWARD}
        blocks = [TOOL_USE, TOOL_RESULT, {"type": "text", "chars": 3}]
        with session_scope(engine) as session:
            (conversation_id,) = insert_rows(session, CONVERSATION_TABLE, [{
                "source": "bulk", "format": "claude-code", "file": "a/b.jsonl", "external_id": "s-1",
                "title": self.AWKWARD, "system_prompt": None, "content_hash": "f" * 64, "turn_count": 2,
                "meta": meta, "batch_id": batch_id, "created_at": self.AWARE,
            }])  # fmt: skip
            first, second = insert_rows(session, TURN_TABLE, [
                {"conversation_id": conversation_id, "index": 0, "role": "user", "text": self.AWKWARD,
                 "blocks": None},
                {"conversation_id": conversation_id, "index": 1, "role": "assistant", "text": "x" * 100_000,
                 "blocks": blocks},
            ])  # fmt: skip
            (pair_id,) = insert_rows(session, PAIR_TABLE, [{
                "conversation_id": conversation_id, "first_turn_id": first, "second_turn_id": second,
                "pushback_turn_id": None, "prompt_end_index": 0, "detector": "heuristic", "score": 0.734,
                "signals": "pushback", "status": PairStatus.candidate, "swapped": True, "leak_kinds": "",
                "leak_spans": [{"start": 1, "end": 2}], "leak_detector": None, "version": 1,
                "content_key": None, "linked_to_id": None, "created_at": self.AWARE, "updated_at": self.AWARE,
            }])  # fmt: skip
            insert_rows(session, FILE_TABLE, [
                file_row(batch_id, path=self.AWKWARD, size_bytes=3 * 2**30, skipped={"empty": 2})
            ])  # fmt: skip
        with Session(engine) as session:
            conversation = session.exec(select(Conversation)).one()
            assert (conversation.id, conversation.title, conversation.meta) == (
                conversation_id,
                self.AWKWARD,
                meta,
            )
            assert conversation.system_prompt is None
            assert conversation.created_at == self.AWARE
            turns = session.exec(select(Turn).order_by(col(Turn.index))).all()
            assert [(t.id, t.role, t.text, t.blocks) for t in turns] == [
                (first, "user", self.AWKWARD, None),
                (second, "assistant", "x" * 100_000, blocks),
            ]
            pair = session.exec(select(Pair)).one()
            assert (pair.id, pair.score, pair.swapped, pair.status, pair.leak_spans, pair.pushback_turn_id) == (
                pair_id, 0.734, True, PairStatus.candidate, [{"start": 1, "end": 2}], None,
            )  # fmt: skip
            assert pair.updated_at == self.AWARE
            file = session.exec(select(ImportFile)).one()
            assert (file.path, file.size_bytes, file.skipped, file.dropped_parts) == (
                self.AWKWARD, 3 * 2**30, {"empty": 2}, None,
            )  # fmt: skip

    def test_a_value_the_column_cannot_hold_is_refused_and_nothing_is_stored(self, engine: Engine) -> None:
        batch_id = start_batch(engine, source="bulk")
        row = file_row(batch_id)
        refused = [{**row, "path": None}]  # NOT NULL
        if engine.dialect.name == "postgresql":  # SQLite keeps any integer and any length of text
            refused += [
                {**row, "conversations_added": 2**31},
                {**row, "size_bytes": 2**63},
                {**row, "path": "p" * 1001},
            ]
        for bad in refused:
            with pytest.raises(DBAPIError), session_scope(engine) as session:
                insert_rows(session, FILE_TABLE, [row, bad])
        with Session(engine) as session:
            assert session.exec(select(ImportFile)).all() == []

    @pytest.mark.parametrize(
        ("column", "fits"),
        [
            ([2**31 - 1, -(2**31), None], True),
            ([2**31], False),
            ([-(2**31) - 1], False),
        ],
    )
    def test_an_integer_beyond_int4_is_sent_as_text_for_postgresql_to_refuse(
        self, column: list[int | None], fits: bool
    ) -> None:
        int4, int8, text_oid = 23, 20, 25
        rows = [(value, "any") for value in column]
        assert service._integers_fit([int4, text_oid], rows) is fits
        assert service._integers_fit([int8, text_oid], rows) is True
        assert service._integers_fit([text_oid, text_oid], rows) is True
        assert service._integers_fit([int8], [(2**63,)]) is False
