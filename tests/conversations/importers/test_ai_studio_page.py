"""Google AI Studio's chat page copied whole: tests/fixtures/real_formats/ai_studio_page/, written by hand in the
shapes of real copies people committed (2024 and 2025 pages)."""

from __future__ import annotations

import io
from pathlib import Path

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import RecordError

from .helpers import parse_one, turns

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "ai_studio_page"


def test_the_2025_page_without_its_icons_code_headers_and_disclaimer() -> None:
    data = (FIXTURES / "ai_studio_page_copy.md").read_bytes()
    assert detect_format(data, "ai_studio_page_copy.md") == "ai-studio-page"
    conversation = parse_one("ai-studio-page", data, "copy.md")
    said = turns(conversation)
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[1][1] == (
        "Read it line by line; each line is a complete JSON document:\n\nimport json\n\n"
        'with open("events.jsonl") as f:\n    events = [json.loads(line) for line in f]\n'
        "That keeps memory low because the file is read one line at a time."
    )
    assert (
        said[2][1]
        == "that's wrong, the list comprehension still keeps every event in memory, my file is 12 GB"
    )
    assert said[3][1].endswith("Only one event is in memory at a time.")
    # Per answer: ThinkingThoughts, Expand to view model thoughts, chevron_right and a code header; the disclaimer.
    assert conversation.dropped == {"page text": 9}
    assert (conversation.title or "").startswith("How do I read a big JSON Lines file in Python")


def test_the_2024_page_with_its_timing_and_buttons() -> None:
    conversation = parse_one(
        "ai-studio-page", (FIXTURES / "ai_studio_page_copy_2024.txt").read_bytes(), "c.txt"
    )
    assert turns(conversation) == [
        ("user", "Which HTTP status should an API return when a resource was deleted?"),
        ("assistant", "Return 404 Not Found for a deleted resource."),
        ("user", 'that\'s wrong for us, clients need to tell "never existed" from "deleted"'),
        (
            "assistant",
            "Then use 410 Gone for deleted resources: it says the resource existed and was removed on purpose, "
            "while 404 stays for ids that never existed.",
        ),
    ]


def test_user_and_model_lines_without_the_pages_icons_are_not_a_copy() -> None:
    assert detect_format(b"User\nhello\nModel\nhi there\n", "notes.txt") != "ai-studio-page"


def test_a_copy_without_an_answer_is_one_clear_error() -> None:
    results = list(get_importer("ai-studio-page").parse(io.BytesIO(b"User\nhello\nmore_vert\n"), "c.txt"))
    assert [r.reason for r in results if isinstance(r, RecordError)] == [
        "no `User` message with a `Model` answer in the copied page"
    ]
