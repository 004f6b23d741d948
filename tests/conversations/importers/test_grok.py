"""Grok (xAI) account export: `prod-grok-backend.json`.

The fixture (tests/fixtures/real_formats/grok/) is written by hand in the shape third-party converters read
(nexus-ai-chat-importer's `grok-types.ts` and others): responses out of order, MongoDB extended JSON times
(`$numberLong` and an ISO `$date`), both `assistant` and `ASSISTANT` senders, a regenerated answer, an
attachment and a conversation without responses.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.files import not_conversation_reason
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

TIMES = "\N{MULTIPLICATION SIGN}"
ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "grok"
EXPORT = ROOT / "prod-grok-backend.json"


def _export() -> dict:
    return json.loads(EXPORT.read_bytes())


def test_the_export_is_detected_by_content() -> None:
    assert detect_format(EXPORT.read_bytes()[:65536], "export.json") == "grok"
    # Minified, and with the first answer longer than the head.
    export = _export()
    export["conversations"][0]["responses"][0]["response"]["message"] = "word " * 20_000
    for data in (json.dumps(export).encode(), json.dumps(export, indent=2).encode()):
        assert len(data) > 65536
        assert detect_format(data[:65536], "export.json") == "grok"


def test_sharegpt_records_are_not_taken_for_grok() -> None:
    sharegpt = {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
    assert detect_format(json.dumps(sharegpt).encode() + b"\n", "data.jsonl") == "sharegpt"


def test_responses_are_sorted_by_time_and_regenerations_keep_the_newest() -> None:
    results = list(get_importer("grok").parse(io.BytesIO(EXPORT.read_bytes()), EXPORT.name))
    first, second, empty = results
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert turns(first) == [
        ("user", "Is 91 prime?"),
        ("assistant", "Yes, 91 is prime."),
        ("user", f"That's wrong, 7 {TIMES} 13 = 91."),
        ("assistant", f"You're right — 91 = 7 {TIMES} 13, so it is not prime."),
    ]
    assert (first.external_id, first.title, first.json_path) == (
        "6b0c2f9e-8d1a-4c3b-9e7f-0a1b2c3d4e5f",
        "91 prime?",
        "$.conversations[0]",
    )
    assert first.metadata == {"create_time": "2025-06-01T10:30:00.000000Z", "models": ["grok-3"]}
    assert turns(second)[:2] == [
        ("user", "How long should I boil an egg for a runny yolk?"),
        ("assistant", "About 10 minutes gives a runny yolk."),
    ]
    # No title of its own: the first prompt; the attachment is counted as dropped.
    assert second.title == "How long should I boil an egg for a runny yolk?"
    assert second.metadata["regenerated_responses"] == 1
    assert second.dropped == {"file": 1}
    assert empty == Skipped("Grok conversation without an answer")


def test_bad_responses_are_named_by_their_path() -> None:
    export = _export()
    export["conversations"][0]["responses"][1]["response"]["sender"] = "system"
    del export["conversations"][1]["responses"][2]["response"]["message"]
    conversations, errors = parse("grok", json.dumps(export, indent=2).encode(), EXPORT.name)
    assert conversations == []
    assert errors_of(errors) == [
        (
            None,
            "$.conversations[0]",
            'responses[1].response.sender: expected "human" or "assistant", got "system"',
        ),
        (None, "$.conversations[1]", "responses[2].response.message: expected the text, got null"),
    ]


def test_a_cut_export_keeps_the_conversations_before_the_cut() -> None:
    data = EXPORT.read_bytes()
    cut = data[: data.index(b"r-0103")]
    conversations, errors = parse("grok", cut, EXPORT.name)
    assert [c.external_id for c in conversations] == ["6b0c2f9e-8d1a-4c3b-9e7f-0a1b2c3d4e5f"]
    assert errors_of(errors) == [(None, "$.conversations[1]", "file ends inside this record")]


def test_an_export_whose_conversations_come_later_is_read_whole() -> None:
    export = _export()
    reordered = {"projects": [], "tasks": [], "conversations": export["conversations"]}
    conversations, errors = parse("grok", json.dumps(reordered).encode(), EXPORT.name)
    assert errors == []
    assert [c.external_id for c in conversations] == [
        "6b0c2f9e-8d1a-4c3b-9e7f-0a1b2c3d4e5f",
        "0e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170",
    ]
    assert conversations[1].json_path == "$.conversations[1]"
    results = list(get_importer("grok").parse(io.BytesIO(b'{"projects": [], "conversations": 3}'), "x.json"))
    assert results == [RecordError("conversations: expected the list of conversations, got a number", line=1)]


def test_an_export_without_conversations_is_skipped() -> None:
    data = b'{"conversations": [], "projects": [], "tasks": []}'
    assert detect_format(data, "prod-grok-backend.json") == "grok"
    assert list(get_importer("grok").parse(io.BytesIO(data), "x.json")) == [
        Skipped("Grok export without conversations")
    ]


def test_attachments_are_skipped_by_path() -> None:
    name = "export.zip!ttl/30d/export_data/a1b2/prod-mc-asset-server/3f9a1c2e-asset/content"
    assert not_conversation_reason(name, 100) == "Grok export attachment"


def test_the_export_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert dict(summary.skipped) == {"Grok conversation without an answer": 1}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_an_answers_thinking_trace_is_its_thinking_block() -> None:
    export = _export()
    responses = export["conversations"][0]["responses"]
    answers = [r for r in responses if str(r["response"]["sender"]).lower() == "assistant"]
    for answer in answers:
        answer["response"]["thinking_trace"] = "91 = 7 x 13?"
    (first, *_) = get_importer("grok").parse(io.BytesIO(json.dumps(export).encode()), EXPORT.name)
    assert isinstance(first, ParsedConversation)
    assert [b["type"] for b in first.turns[1].blocks or []] == ["thinking", "text"]
    assert (first.turns[1].blocks or [])[0]["thinking"] == "91 = 7 x 13?"
    assert "91 = 7 x 13?" not in first.turns[1].text


def test_citation_cards_are_taken_out_of_answers_in_the_export_and_in_markdown() -> None:
    """Grok marks where it cites a source with a card element (`<grok:render ... type="render_inline_citation">`,
    newer pages `<grok-card ...>`); real exports and chats saved as Markdown keep them in the answer's text."""
    card = (
        '<grok:render card_id="4f1a2b" card_type="citation_card" type="render_inline_citation">\n'
        '<argument name="citation_id">3</argument>\n</grok:render>'
    )
    export = _export()
    message = export["conversations"][0]["responses"]
    answers = [r for r in message if r["response"]["sender"].lower() == "assistant"]
    answers[-1]["response"]["message"] = f"You're right — 91 = 7 {TIMES} 13, so it is not prime.{card} {card}"
    first = next(iter(get_importer("grok").parse(io.BytesIO(json.dumps(export).encode()), EXPORT.name)))
    assert isinstance(first, ParsedConversation)
    assert first.turns[3].text == f"You're right — 91 = 7 {TIMES} 13, so it is not prime."
    assert first.dropped.get("citation card") == 2
    markdown = (
        "## User\n\nCan DNS point a name at a port?\n\n"
        "## Assistant\n\nNo, DNS resolves names to addresses only."
        + card
        + ' Use an SRV record for the port.<grok-card data-id="9c" data-type="citation_card"></grok-card>\n'
    )
    (chat,), _ = parse("markdown", markdown.encode(), "grok-dns.md")
    assert chat.turns[1].text == "No, DNS resolves names to addresses only. Use an SRV record for the port."
