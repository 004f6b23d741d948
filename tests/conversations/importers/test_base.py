"""The record shapes every importer produces travel between processes as pickles (app.conversations.parallel):
each is rebuilt whole, every field in its place, from its class and its fields' values."""

from __future__ import annotations

import dataclasses
import io
import pickle
from typing import Any

import pytest

from app.conversations.importers._records import peekable
from app.conversations.importers._turns import TurnBuilder
from app.conversations.importers.base import (
    ExplicitPair,
    ParsedConversation,
    ParsedTurn,
    PickledByFields,
    RecordError,
    Skipped,
)
from app.pairs.detection import DetectedPair
from app.pairs.findings import PairFinding

SHAPES = (ParsedTurn, ExplicitPair, ParsedConversation, RecordError, Skipped, DetectedPair, PairFinding)


def _conversation() -> ParsedConversation:
    """A conversation with no field left at its default, so a value put in the wrong field shows."""
    detected = DetectedPair(1, 2, 3, 0.91, ("correction", "redo"))
    return ParsedConversation(
        external_id="session-7",
        turns=[
            ParsedTurn("user", "Why is this query slow?"),
            ParsedTurn("assistant", "Add an index.", [{"type": "tool_use", "id": "t1", "input": {"q": 1}}]),
            ParsedTurn("user", "That's wrong: it already has one."),
            ParsedTurn("assistant", "Then the planner skips it because of the cast.", []),
        ],
        title="Slow query",
        system_prompt="Be brief.",
        metadata={"cwd": "/srv", "version": "2.0.31"},
        line=12,
        json_path="$[3]",
        explicit_pairs=[ExplicitPair(1, 3, 2)],
        dropped={"image": 2},
        content_hash="ab" * 32,
        found_pairs=[PairFinding(1, 2, 3, detected, {"leak_kinds": "", "leak_spans": []}, "cd" * 32)],
        nul_free=True,
    )


def _values(record: Any) -> list[Any]:
    return [getattr(record, f.name) for f in dataclasses.fields(record)]


class TestPickledByFields:
    @pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.__name__)
    def test_every_field_is_an_init_parameter_in_slot_order(self, shape: Any) -> None:
        # The reduction passes the slots' values to the class positionally: both orders must agree.
        assert issubclass(shape, PickledByFields)
        fields = dataclasses.fields(shape)
        assert all(f.init and not f.kw_only for f in fields)
        assert tuple(f.name for f in fields) == shape.__slots__

    def test_a_conversation_comes_back_whole(self) -> None:
        conversation = _conversation()
        copy = pickle.loads(pickle.dumps(conversation, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == conversation
        assert _values(copy) == _values(conversation)
        assert _values(copy.turns[1]) == ["assistant", "Add an index.", conversation.turns[1].blocks]
        finding = copy.found_pairs[0]
        assert (finding.rejected, finding.pushback, finding.chosen, finding.content_key) == (
            1,
            2,
            3,
            "cd" * 32,
        )
        assert finding.detected == DetectedPair(1, 2, 3, 0.91, ("correction", "redo"))

    def test_errors_and_skips_come_back_whole(self) -> None:
        records = [
            RecordError("invalid JSON at character 4", line=3, json_path="$[0]"),
            Skipped("empty chat"),
        ]
        assert pickle.loads(pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)) == records

    def test_the_pickle_holds_the_values_not_a_dict_of_them(self) -> None:
        turn = ParsedTurn("user", "hello")
        assert turn.__reduce__() == (ParsedTurn, ("user", "hello", None))
        pair = DetectedPair(1, 2, 3, 0.5, ())
        assert pair.__reduce__() == (DetectedPair, (1, 2, 3, 0.5, ()))


def test_a_wrapped_stream_can_be_peeked_a_whole_head_deep() -> None:
    # Readers decide on `peek(65536)` (a JSON array or lines, a CSV, a marker past a style sheet): a stream
    # that is not already buffered must show them that much, not the 8 KB of a default buffer.
    data = b"[" + b" " * 20_000 + b'{"k": 1}]' + b" " * 60_000
    head = peekable(io.BytesIO(data)).peek(65536)
    assert len(head) >= 65536
    assert b'{"k": 1}' in head


def test_kinds_dropped_none_of_are_not_reported() -> None:
    """Readers count what they leave out as they go (`dropped["image"] += len(images)`, often 0): a kind counted
    as none is not reported, on the conversation or in the import's totals."""
    from app.conversations.importers._turns import TurnBuilder

    builder = TurnBuilder()
    builder.user("q")
    builder.text("a")
    builder.dropped["image"] += 0
    builder.dropped["file"] += 2
    assert builder.conversation("c").dropped == {"file": 2}


def test_an_import_reports_no_kind_dropped_none_of(engine: Any, tmp_path: Any, monkeypatch: Any) -> None:
    """Readers that build their conversation themselves pass their counts on as they are; the import's totals
    keep only the kinds something was dropped of."""
    from app.conversations import importing
    from app.conversations.importers.base import ParsedConversation, ParsedTurn

    def read_file(item: Any, *, format: str, read: Any, progress: Any = None) -> Any:
        read.format, read.sha256 = "openai", "0" * 64
        yield ParsedConversation(
            external_id="c",
            turns=[ParsedTurn("user", "q"), ParsedTurn("assistant", "a")],
            dropped={"image": 0, "file": 2},
        )

    monkeypatch.setattr(importing, "read_file", read_file)
    (tmp_path / "chat.jsonl").write_text("{}\n")
    summary = importing.run_import(engine, paths=[tmp_path / "chat.jsonl"], source="t", workers=0)
    assert dict(summary.dropped) == {"file": 2}
    assert summary.file_reports[0]["dropped_parts"] == {"file": 2}


def test_a_prompt_sent_again_before_any_answer_is_one_prompt() -> None:
    """The person sends the same message twice (the first got an error or an empty answer): the turn holds it once
    and the repeat is counted; a different second message still joins the turn."""
    builder = TurnBuilder()
    builder.user("Translate 'good night' into Italian.")
    builder.user("Translate 'good night' into Italian.  ")
    builder.user("And into Spanish.")
    builder.text("Buona notte; buenas noches.")
    conversation = builder.conversation("c1")
    assert conversation.turns[0].text == "Translate 'good night' into Italian.\n\nAnd into Spanish."
    assert conversation.dropped == {"repeated prompt": 1}
