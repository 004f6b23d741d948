"""ryanschiang's claude-export and chatgpt-export JSON (page elements scraped in the browser): fixtures in
tests/fixtures/real_formats/page_export/, hand-written in the shape of their `src/exportJSON.js` and README
examples (a typed prompt as a bare string, paragraphs, code, lists, a table, an element without a type)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "page_export"
CLAUDE, CHATGPT = ROOT / "claude-export.json", ROOT / "chatgpt-export.json"


def _parse(data: bytes, name: str = "export.json") -> list[object]:
    return list(get_importer("page-export").parse(io.BytesIO(data), name))


def test_both_exporters_are_detected_by_content() -> None:
    for path in (CLAUDE, CHATGPT):
        assert detect_format(path.read_bytes()[:65536], "download.json") == "page-export"
    export = json.loads(CLAUDE.read_bytes())
    export["chats"][0]["message"][0] = "word " * 20_000  # the first message runs past the 64 KB head
    for data in (json.dumps(export).encode(), json.dumps(export, indent=4).encode()):
        assert len(data) > 65536
        assert detect_format(data[:65536], "download.json") == "page-export"


def test_page_elements_become_markdown() -> None:
    (conversation,) = _parse(CLAUDE.read_bytes(), "chats/python-sorting.json")
    assert isinstance(conversation, ParsedConversation)
    assert (conversation.title, conversation.external_id) == ("Python Sorting", "chats/python-sorting.json")
    assert conversation.metadata == {"exported_at": "2026-03-04 10:12:40"}
    assert turns(conversation) == [
        ("user", "How do I sort a list of dicts by a key in Python?"),
        ("assistant", 'Use sorted with a key function:\n\n```python\npeople.sort(key="age")\n```'),
        ("user", "that fails: TypeError: 'str' object is not callable"),
        (
            "assistant",
            "Sorry, key must be a function, not a string. Two ways:\n\n"
            '1. A lambda: sorted(people, key=lambda p: p["age"])\n2. operator.itemgetter("age"), a bit faster\n\n'
            "| Way | Speed |\n| --- | --- |\n| lambda | fine |\n| itemgetter | a \\| bit faster |",
        ),
    ]
    # The image and the element the exporter could not place (Claude's footer) are counted, not text.
    assert conversation.dropped == {"page element img": 1, "unplaced page element": 1}


def test_the_chatgpt_exporter_reads_the_same() -> None:
    (conversation,) = _parse(CHATGPT.read_bytes())
    assert isinstance(conversation, ParsedConversation)
    assert conversation.metadata == {"exported_at": "2026-03-04 10:20:05"}
    assert turns(conversation)[3] == (
        "assistant",
        'Right, word splitting breaks it. Use a glob:\n\n```bash\nfor f in *; do echo "$f"; done\n```\n\n'
        "- quotes keep each name whole\n- no ls needed",
    )


def test_malformed_elements_are_named_by_path() -> None:
    export = json.loads(CLAUDE.read_bytes())
    export["chats"][3]["message"][1]["data"] = "not a list"
    (error,) = _parse(json.dumps(export, indent=4).encode())
    assert isinstance(error, RecordError)
    assert error.json_path == "$"
    assert error.reason == "chats[3].message[1].data: expected a list of elements, got a string"
    export["chats"] = {"0": {}}
    (error,) = _parse(json.dumps(export).encode())
    assert isinstance(error, RecordError)
    assert error.reason == "chats: expected a list, got an object"


def test_bettergpt_and_openai_files_are_not_taken_for_it() -> None:
    better = {
        "chats": [{"id": "1", "title": "t", "messages": [{"role": "user", "content": "hi"}]}],
        "version": 1,
    }
    assert detect_format(json.dumps(better).encode(), "export.json") != "page-export"
    record = {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}
    assert detect_format(json.dumps(record).encode() + b"\n", "data.jsonl") == "openai"


def test_import_stores_the_pairs_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="page-export", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.errors) == (2, 2, [])
    assert run_import(engine, paths=[ROOT], source="page-export", workers=0).conversations_added == 0
