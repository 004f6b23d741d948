"""Perplexity's thread page copied whole: tests/fixtures/real_formats/perplexity_page/, written by hand in the shape of
real copies people committed (the question, then the page's `Sources` / `Answer` tabs, citation numbers glued to a
sentence or on lines of their own, three blank lines between turns)."""

from __future__ import annotations

import io
from pathlib import Path

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import RecordError

from .helpers import parse_one, turns

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "real_formats"
    / "perplexity_page"
    / "lemon_tree_thread.md"
)


def test_questions_answers_and_the_citation_lines_left_out() -> None:
    data = FIXTURE.read_bytes()
    assert detect_format(data, "lemon.md") == "perplexity-page"
    conversation = parse_one("perplexity-page", data, "lemon.md")
    said = turns(conversation)
    assert said[0] == ("user", "how much water does a 2 year old lemon tree in a pot need")
    assert said[1] == (
        "assistant",
        "Water a potted lemon tree about once a week, soaking the soil until water runs out of the drainage "
        "holes1.\nIn summer heat, check every two or three days2",
    )
    assert said[2] == ("user", "i water it weekly already and the leaves are turning yellow and dropping")
    assert said[4] == ("user", "thanks, what fertilizer should i use")  # `Answer` alone: nothing was cited
    assert [role for role, _ in said] == ["user", "assistant"] * 3
    assert conversation.dropped == {"citation": 3}  # `3`, `.`, `.` on lines of their own
    assert conversation.metadata == {"exporter": "perplexity-page-copy"}


def test_a_question_without_the_pages_gap_is_its_last_paragraph() -> None:
    data = b"first question\nSources\nAnswer\nFirst answer.\n\nsecond question\nAnswer\nSecond answer.\n"
    assert turns(parse_one("perplexity-page", data, "p.txt")) == [
        ("user", "first question"),
        ("assistant", "First answer."),
        ("user", "second question"),
        ("assistant", "Second answer."),
    ]


def test_other_text_is_no_copied_page() -> None:
    assert detect_format(b"Sources\n- the docs\n\nAnswer: use X\n", "notes.md") != "perplexity-page"
    results = list(get_importer("perplexity-page").parse(io.BytesIO(b"just text\n"), "p.txt"))
    assert [r.reason for r in results if isinstance(r, RecordError)] == [
        "no question with `Sources` / `Answer` under it in the copied page"
    ]
