"""Google Takeout "My Activity" for Gemini Apps: `Takeout/My Activity/Gemini Apps/My Activity.json`.

The fixture (tests/fixtures/real_formats/gemini_takeout/) is written by hand in the shape write-ups and readers of
real exports describe, in Takeout's Gson pretty style (newest first, `\\u003c`-style escapes): an unlinked chat
grouped by time (a code answer, a pushback and its revision, a table answer with two drafts, a feedback record and
a preferred-draft record), a chat whose records link to `gemini.google.com/app/<id>` (a Gem, headings, nested lists,
a quote, a link, an attached photo, a Canvas record, a follow-up two hours later), and the next day a chat of its
own with a prompt that kept no answer and an image-only prompt.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importers.gemini_takeout import GAP_MINUTES, NO_ANSWER, NO_PROMPT, importer
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"
ROOT = FIXTURES / "gemini_takeout"
ACTIVITY = ROOT / "Takeout" / "My Activity" / "Gemini Apps" / "My Activity.json"
CHAT_ID = "7f3c2a91d0b4e615"


def _records() -> list[dict[str, Any]]:
    return json.loads(ACTIVITY.read_bytes())


def _dump(records: list[Any], *, indent: int | None = None) -> bytes:
    return json.dumps(records, indent=indent, ensure_ascii=False).encode()


def _results(data: bytes) -> list[ParsedConversation | RecordError | Skipped]:
    return list(importer.parse(io.BytesIO(data), "My Activity.json"))


def _record(title: str, time: str, html: str | None = None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "header": "Gemini Apps",
        "title": title,
        "time": time,
        "products": ["Gemini Apps"],
    }
    if html is not None:
        record["safeHtmlItem"] = [{"html": html}]
    return record | extra


def test_the_export_is_detected_by_content() -> None:
    data = ACTIVITY.read_bytes()
    assert b"\\u003c" in data
    assert data.startswith(b'[{\n  "header": "Gemini Apps"')
    assert detect_format(data[:65536], "My Activity.json") == "gemini-takeout"
    assert detect_format(data[:65536], "export.json") == "gemini-takeout"
    minified = json.dumps(_records(), separators=(",", ":")).encode()
    assert detect_format(minified[:65536], "MyActivity.json") == "gemini-takeout"
    assert detect_format(_dump(_records(), indent=4)[:65536], "x.json") == "gemini-takeout"
    bard = [_record("Prompted hi", "2024-01-05T10:00:00Z", "<p>Hello!</p>", header="Bard", products=["Bard"])]
    assert detect_format(_dump(bard), "MyActivity.json") == "gemini-takeout"


def test_a_first_record_longer_than_the_head_is_detected_by_its_header() -> None:
    records = _records()
    records[0]["title"] = "Prompted " + "a long pasted prompt " * 4000
    data = _dump(records, indent=2)
    assert data.index(b"},") > 65536
    assert detect_format(data[:65536], "My Activity.json") == "gemini-takeout"
    conversations, errors = parse("gemini-takeout", data, "My Activity.json")
    assert (len(conversations), errors) == (3, [])


def test_other_my_activity_files_are_not_taken_for_gemini() -> None:
    youtube = [
        {
            "header": "YouTube",
            "title": "Watched How to fold a fitted sheet",
            "titleUrl": "https://www.youtube.com/watch?v=abc123",
            "subtitles": [{"name": "Home Tips", "url": "https://www.youtube.com/channel/UC123"}],
            "time": "2025-03-10T20:15:00.000Z",
            "products": ["YouTube"],
            "activityControls": ["YouTube watch history"],
        }
    ]
    search = [
        {
            "header": "Search",
            "title": "Searched for gemini takeout export",
            "titleUrl": "https://www.google.com/search?q=gemini+takeout+export",
            "time": "2025-03-10T20:10:00.000Z",
            "products": ["Search"],
            "activityControls": ["Web & App Activity"],
        }
    ]
    for records in (youtube, search):
        data = _dump(records, indent=2)
        assert not importer.sniff(data, "My Activity.json")
        assert detect_format(data, "My Activity.json") != "gemini-takeout"


def test_other_formats_fixtures_are_not_taken_for_gemini() -> None:
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and ROOT not in path.parents and path.suffix in (".json", ".jsonl"):
            assert not importer.sniff(path.read_bytes()[:65536], path.name), path


def test_prompts_are_grouped_into_conversations_by_link_else_by_time() -> None:
    conversations, errors = parse("gemini-takeout", ACTIVITY.read_bytes(), ACTIVITY.name)
    assert errors == []
    assert [c.external_id for c in conversations] == [
        "Gemini Apps@2025-03-11T09:02:11.204Z",
        CHAT_ID,
        "Gemini Apps@2025-03-12T08:00:03.771Z",
    ]
    median, lisbon, morning = conversations
    assert [role for role, _ in turns(median)] == ["user", "assistant"] * 3
    assert turns(median)[0] == (
        "user",
        "Write a Python function that returns the median of a list of numbers.",
    )
    assert turns(median)[2][1].startswith("That's wrong for even-length lists")
    assert median.title == "Write a Python function that returns the median of a list of numbers."
    assert median.metadata == {
        "grouped_by_time": True,
        "create_time": "2025-03-11T09:02:11.204Z",
        "regenerated_responses": 1,
    }
    assert median.json_path == "$[12]"
    # Linked records stay together though the last one came two hours later.
    assert [text for role, text in turns(lisbon) if role == "user"] == [
        "Plan a three-day trip to Lisbon in March.",
        "What is this building? Is it worth a visit on day 1?",
        "Could you add a restaurant for each evening?",
    ]
    assert lisbon.metadata == {
        "grouped_by_time": False,
        "create_time": "2025-03-11T14:30:00.000Z",
        "gems": ["Trip Planner"],
    }
    assert lisbon.dropped == {"image": 1}
    assert turns(morning) == [
        ("user", 'Translate "good morning" into Portuguese.'),
        ("assistant", '**Bom dia** is "good morning" in Portuguese.'),
    ]


def test_answers_are_markdown_from_the_html() -> None:
    median, lisbon, _ = parse("gemini-takeout", ACTIVITY.read_bytes(), ACTIVITY.name)[0]
    assert median.turns[1].text == (
        "Here's a short function that sorts the values and picks the middle one:\n\n"
        "```python\ndef median(values):\n    ordered = sorted(values)\n    return ordered[len(ordered) // 2]\n```\n\n"
        "How it works:\n\n"
        "- **Sorting** puts the values in order (`sorted` leaves the input list alone).\n"
        "- The *middle index* is `len(ordered) // 2`."
    )
    assert "`2.5` & `median([3, 1, 2])`" in median.turns[3].text
    # Two drafts: the first is kept (the second, a one-liner, is counted in the metadata).
    assert median.turns[5].text == (
        "Both give the same answer for plain lists of numbers:\n\n"
        "| Function | Input | Empty input |\n| --- | --- | --- |\n"
        "| `statistics.median` | any iterable | raises `StatisticsError` |\n"
        "| `numpy.median` | array-like, with an `axis` | returns `nan` with a warning |"
    )
    assert lisbon.turns[1].text == (
        "## Three days in Lisbon\n\n### Day 1: Baixa and Alfama\n\n"
        "1. Start at **Praça do Comércio**.\n2. Walk up to the castle:\n"
        "   - take tram 28 if your legs are tired\n   - the *miradouros* on the way are free\n\n"
        "### Day 2: Belém\n\nSee the tower and the monastery, and try a *pastel de nata*.\n\n"
        "> Tip: March can be rainy, so pack a light jacket.\n\n---\n\n"
        "Opening hours are on the city's tourism site (https://www.visitlisboa.com/)."
    )
    assert lisbon.turns[3].text.startswith(
        "That's the **Elevador de Santa Justa**, an iron lift from 1902.\nIt links"
    )


def test_activity_that_is_not_a_prompt_is_skipped_by_verb() -> None:
    skipped = [result.reason for result in _results(ACTIVITY.read_bytes()) if isinstance(result, Skipped)]
    assert sorted(skipped) == sorted(
        [
            "Gemini activity that is not a prompt (Gave feedback)",
            "Gemini activity that is not a prompt (Selected preferred draft)",
            "Gemini activity that is not a prompt (Created)",
            "Gemini activity that is not a prompt (Used)",
            NO_ANSWER,
            NO_PROMPT,
        ]
    )
    # One reason per verb, never the record's own words.
    feedback = [
        _record("Gave feedback: Good response", "2025-01-01T10:00:00Z"),
        _record("Gave feedback: Bad response (inaccurate)", "2025-01-01T10:00:01Z"),
        _record("Branched from Secret project chat", "2025-01-01T10:00:02Z"),
    ]
    reasons = {result.reason for result in _results(_dump(feedback)) if isinstance(result, Skipped)}
    assert reasons == {
        "Gemini activity that is not a prompt (Gave feedback)",
        "Gemini activity that is not a prompt (Branched)",
    }


def test_an_answer_whose_html_has_no_text_counts_as_no_answer() -> None:
    records = [
        _record("Prompted Draw a cat in a space suit", "2025-01-01T10:00:00Z", "<p></p>\n<br>"),
        _record(
            "Prompted Hello", "2025-01-01T10:00:05Z", safeHtmlItem=[{"html": ""}, {"html": "<p>Hi!</p>"}]
        ),
    ]
    results = _results(_dump(records))
    assert Skipped(NO_ANSWER) in results
    conversation = next(r for r in results if isinstance(r, ParsedConversation))
    assert turns(conversation) == [("user", "Hello"), ("assistant", "Hi!")]
    assert "regenerated_responses" not in conversation.metadata


def test_time_groups_break_after_the_gap_and_per_header() -> None:
    step = GAP_MINUTES * 60
    records = [
        _record("Prompted one", "2025-01-01T10:00:00Z", "<p>1</p>"),
        _record(
            "Prompted two", f"2025-01-01T10:{step // 60:02d}:00Z", "<p>2</p>"
        ),  # exactly the gap: continues
        _record(
            "Prompted three", f"2025-01-01T10:{step // 60 * 2:02d}:01Z", "<p>3</p>"
        ),  # past it: a new one
        _record("Prompted by text", "2025-01-01T10:00:30Z", "<p>sms</p>", header="Gemini in Google Messages"),
    ]
    records.reverse()  # newest first, as in the export
    conversations = [r for r in _results(_dump(records)) if isinstance(r, ParsedConversation)]
    assert [(c.external_id, len(c.turns)) for c in conversations] == [
        ("Gemini Apps@2025-01-01T10:00:00Z", 4),
        ("Gemini in Google Messages@2025-01-01T10:00:30Z", 2),
        (f"Gemini Apps@2025-01-01T10:{step // 60 * 2:02d}:01Z", 2),
    ]
    assert conversations[1].metadata["header"] == "Gemini in Google Messages"


def test_records_at_the_same_time_keep_the_file_order_reversed() -> None:
    records = [
        _record("Prompted second", "2025-01-01T10:00:00Z", "<p>B</p>"),
        _record("Prompted first", "2025-01-01T10:00:00Z", "<p>A</p>"),
    ]
    (conversation,) = [r for r in _results(_dump(records)) if isinstance(r, ParsedConversation)]
    assert [text for role, text in turns(conversation) if role == "user"] == ["first", "second"]


def test_bad_records_are_named_by_their_path() -> None:
    records: list[Any] = _records()
    records[0] = ["not", "a", "record"]
    records[1] = {key: value for key, value in records[1].items() if key != "title"}
    records[2]["time"] = 1741766403
    records[3]["time"] = "yesterday"
    records[4]["safeHtmlItem"] = "<p>not a list</p>"
    conversations, errors = parse("gemini-takeout", _dump(records, indent=2), ACTIVITY.name)
    assert len(conversations) == 2
    assert errors_of(errors) == [
        (None, "$[0]", "expected an activity record (a JSON object), got a list"),
        (None, "$[1]", "title: expected a string, got null"),
        (None, "$[2]", "time: expected a string, got a number"),
        (None, "$[3]", 'time: expected an ISO 8601 date and time, got "yesterday"'),
        (None, "$[4]", "safeHtmlItem: expected a list of answers, got a string"),
    ]


def test_a_file_that_is_not_json_is_a_clear_error() -> None:
    results = get_importer("gemini-takeout").parse(io.BytesIO(b"<html><body>My Activity</body></html>"), "x")
    with pytest.raises(FileFormatError, match="not JSON: the file starts with b'<'"):
        list(results)


def test_the_export_imports_once(engine: Engine, tmp_path: Path) -> None:
    shutil.copytree(ROOT, tmp_path / "export")
    summary = run_import(engine, paths=[tmp_path / "export"])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 1, 0)
    assert dict(summary.skipped) == {
        "Gemini activity that is not a prompt (Gave feedback)": 1,
        "Gemini activity that is not a prompt (Selected preferred draft)": 1,
        "Gemini activity that is not a prompt (Created)": 1,
        "Gemini activity that is not a prompt (Used)": 1,
        NO_ANSWER: 1,
        NO_PROMPT: 1,
    }
    again = run_import(engine, paths=[tmp_path / "export"])
    assert (again.conversations_added, again.duplicates) == (0, 3)


def test_the_format_can_be_named(engine: Engine) -> None:
    summary = run_import(engine, paths=[ACTIVITY], format="gemini-takeout")
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 1, 0)


def test_attachments_beside_the_activity_file_are_skipped_by_name() -> None:
    from app.conversations.files import not_conversation_reason

    assert not_conversation_reason("Takeout/My Activity/Gemini Apps/notes-0a9c7e1b3d5f7a92.txt", 10) == (
        "Google Takeout Gemini attachment"
    )
    assert not_conversation_reason("Takeout/My Activity/Gemini Apps/My Activity.json", 10) is None
