"""DeepSeek's web "Export data" (`conversations.json`, a `mapping` tree of `fragments` messages) and the web
app's `history_messages` API response that userscripts save.

The fixtures (tests/fixtures/real_formats/deepseek/) are written by hand in the shapes DeepSeek's export and
API return, as converters of them read them (a `"root"` node, numeric node ids, REQUEST/THINK/RESPONSE/SEARCH
fragments, `files[].content`; `biz_data.chat_session.current_message_id` and `parent_id`).
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importing import run_import
from app.pairs.detection import detect_pairs

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"
FOLDER = ROOT / "deepseek"
EXPORT = FOLDER / "conversations.json"
API = FOLDER / "DeepSeek - test_chat_raw_20251122.json"
CHATGPT = ROOT / "chatgpt_export" / "conversations.json"


def _export() -> list[dict[str, Any]]:
    return json.loads(EXPORT.read_bytes())


def _api() -> dict[str, Any]:
    return json.loads(API.read_bytes())


def _dumps(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode()


def _results(data: bytes) -> list[Any]:
    return list(get_importer("deepseek").parse(io.BytesIO(data), "conversations.json"))


@pytest.mark.parametrize("name", ["conversations.json", "deepseek-export.json"])
def test_the_export_and_the_api_response_are_deepseek_not_chatgpt(name: str) -> None:
    for path in (EXPORT, API):
        head = path.read_bytes()[:65536]
        assert detect_format(head, name) == "deepseek"
        assert get_importer("chatgpt").sniff(head, name) is False
    # ChatGPT's own export keeps its reader, by name and by content.
    head = CHATGPT.read_bytes()[:65536]
    assert detect_format(head, "conversations.json") == "chatgpt"
    assert detect_format(head, "export.json") == "chatgpt"
    assert get_importer("deepseek").sniff(head, "conversations.json") is False


def test_a_first_conversation_longer_than_the_head_is_still_detected() -> None:
    export = _export()
    export[0]["mapping"]["1"]["message"]["fragments"][0]["content"] = "word " * 20_000
    head = _dumps(export)[:65536]
    assert detect_format(head, "conversations.json") == "deepseek"
    # A long attached file comes before the fragments: the first node's root parent still tells.
    export = _export()
    export[0]["mapping"]["1"]["message"]["files"] = [
        {"id": "f", "file_name": "a.txt", "content": "x " * 40_000}
    ]
    head = _dumps(export)[:65536]
    assert b'"fragments"' not in head
    assert detect_format(head, "conversations.json") == "deepseek"
    # The API response, one object, pretty-printed.
    api = _api()
    api["data"]["biz_data"]["chat_messages"][0]["fragments"][0]["content"] = "word " * 20_000
    assert detect_format(_dumps(api)[:65536], "chat.json") == "deepseek"


def test_the_thread_is_the_newest_branch_with_thinking_and_attachments() -> None:
    conversations, errors = parse("deepseek", EXPORT.read_bytes(), EXPORT.name)
    assert errors == []
    first = conversations[0]
    assert turns(first) == [
        (
            "user",
            "paginate(items, page, size) returns items[page*size:(page+1)*size]. Why is the last page empty?",
        ),
        (
            "assistant",
            "The slice is correct for 0-based pages. The last page is empty because you are calling it with "
            "`page == total_pages`; use `range(total_pages)`.",
        ),
        (
            "user",
            "No, that's wrong: our API pages are 1-based (page=1 is the first page). See the attached file.",
        ),
        (
            "assistant",
            "Corrected version for 1-based pages:\n\n```python\ndef paginate(items, page, size):\n"
            "    if page < 1:\n        raise ValueError('page starts at 1')\n    return items[(page-1)*size:page*size]\n```",
        ),
    ]
    assert first.turns[0].blocks is None
    assert first.turns[1].blocks == [
        {
            "type": "thinking",
            "thinking": "The user has an off-by-one. If page is 0-based this is correct... maybe they pass "
            "total_pages as page.",
        },
        {"type": "text", "text": first.turns[1].text},
    ]
    assert first.turns[2].blocks == [
        {
            "type": "context",
            "tag": "attachment",
            "text": "def paginate(items, page, size):\n    return items[page*size:(page+1)*size]\n",
            "name": "paginate.py",
        }
    ]
    # The regenerated answer (node 5, newer) is the thread, not the first answer (node 4).
    assert first.turns[3].blocks is not None
    assert first.turns[3].blocks[0] == {
        "type": "thinking",
        "thinking": "Regenerated answer. Same fix, also validate page >= 1.",
    }
    # The pushback and the regenerated answer make a pair.
    assert [(p.rejected, p.pushback, p.chosen) for p in detect_pairs(turns(first))] == [(1, 2, 3)]
    assert first.external_id == "801e9692-c784-4402-bac6-d97a4722e943"
    assert first.title == "Python 列表切片越界"
    assert first.json_path == "$[0]"
    assert first.metadata == {
        "models": ["deepseek-reasoner"],
        "inserted_at": "2025-03-30T04:49:36.505000+08:00",
        "updated_at": "2025-03-30T04:58:12.018000+08:00",
    }


def test_an_edited_prompt_is_the_thread_and_a_file_without_text_is_dropped() -> None:
    conversations, _ = parse("deepseek", EXPORT.read_bytes(), EXPORT.name)
    edited = conversations[2]
    assert [text for _, text in turns(edited)][::2] == [
        "Why does new Date('2025-03-30') show March 29 on my screen?",
        "How do I get local midnight from the string itself?",
    ]
    assert edited.turns[3].text.startswith("Split it and build the date in local time")
    assert edited.metadata["models"] == ["deepseek-chat", "deepseek-reasoner"]
    assert edited.dropped == {"file": 1}


def test_search_results_are_a_block_of_sources_not_text() -> None:
    conversations, _ = parse("deepseek", EXPORT.read_bytes(), EXPORT.name)
    answer = conversations[1].turns[1]
    assert answer.text == (
        "According to the release notes, the latest release is listed at the top of the What's New page [citation:1]."
    )
    assert answer.blocks is not None
    search, text = answer.blocks
    assert text == {"type": "text", "text": answer.text}
    assert search == {
        "type": "search",
        "content": "[1] Release notes — pandas <https://pandas.pydata.org/docs/whatsnew/index.html>",
        "results": [
            {
                "cite_index": 1,
                "title": "Release notes — pandas",
                "url": "https://pandas.pydata.org/docs/whatsnew/index.html",
                "site_name": "pandas",
                "published_at": 1751328000,
                "snippet": "This is the list of changes to pandas between each release.",
            }
        ],
    }


def test_the_newest_child_wins_by_time_then_by_numeric_id_not_by_list_order() -> None:
    export = _export()[:1]
    mapping = export[0]["mapping"]
    mapping["3"]["children"] = ["5", "4"]
    # Node 4 answered later: it wins although listed last and numbered lower.
    mapping["4"]["message"]["inserted_at"] = "2025-03-30T05:10:00.000000+08:00"
    assert parse_one("deepseek", _dumps(export)).turns[3].text.startswith("You're right, I assumed 0-based")
    # The same time in another offset is a tie: the higher numeric id ("10" over "4", not as strings) wins.
    mapping["10"] = copy.deepcopy(mapping["4"]) | {"id": "10"}
    mapping["10"]["message"]["inserted_at"] = "2025-03-29T21:10:00+00:00"
    mapping["10"]["message"]["fragments"][1]["content"] = "Answer number ten."
    mapping["3"]["children"] = ["10", "4", "5"]
    assert parse_one("deepseek", _dumps(export)).turns[3].text == "Answer number ten."


def test_an_empty_chat_and_an_unanswered_prompt_are_skipped() -> None:
    results = _results(EXPORT.read_bytes())
    assert [r for r in results if isinstance(r, Skipped)] == [
        Skipped("empty conversation"),
        Skipped("conversation without a prompt and an answer"),
    ]


def test_bad_records_are_named_by_their_path() -> None:
    export = _export()
    export[0]["mapping"]["2"]["message"]["fragments"] = "THINK"
    export[1]["mapping"]["1"]["message"]["fragments"][0]["content"] = ["not", "text"]
    export[2]["mapping"]["2"]["children"] = "3"
    export[3]["mapping"] = []
    conversations, errors = parse("deepseek", _dumps(export), EXPORT.name)
    assert len(conversations) == 0
    assert errors_of(errors) == [
        (None, "$[0]", 'mapping["2"].message.fragments: expected a list, got a string'),
        (None, "$[1]", 'mapping["1"].message.fragments[0].content: expected a string, got a list'),
        (None, "$[2]", 'mapping["2"].children: expected a list of node ids, got a string'),
        (None, "$[3]", "mapping: expected an object, got a list"),
    ]
    api = _api()
    api["data"]["biz_data"]["chat_messages"][1]["message_id"] = 2.5
    api["data"]["biz_data"]["chat_messages"].append(
        api["data"]["biz_data"]["chat_messages"][2] | {"parent_id": [2]}
    )
    assert errors_of(parse("deepseek", _dumps(api), API.name)[1]) == [
        (None, "$", "data.biz_data.chat_messages[1].message_id: expected a number or a string, got a number"),
    ]
    del api["data"]["biz_data"]["chat_messages"][1]
    assert errors_of(parse("deepseek", _dumps(api), API.name)[1]) == [
        (
            None,
            "$",
            "data.biz_data.chat_messages[3].parent_id: expected a number, a string or null, got a list",
        ),
    ]


def test_unknown_fragments_are_counted_as_dropped() -> None:
    export = _export()[1:2]
    export[0]["mapping"]["2"]["message"]["fragments"].insert(0, {"type": "READ_LINK", "url": "https://x"})
    assert parse_one("deepseek", _dumps(export)).dropped == {"read_link": 1}


def test_the_api_response_is_the_path_to_the_current_message() -> None:
    conversation = parse_one("deepseek", API.read_bytes(), API.name)
    assert turns(conversation) == [
        ("user", "Is 91 prime?"),
        ("assistant", "Yes, 91 is prime."),
        ("user", "Are you sure? 7*13?"),
        ("assistant", "You're right: 91 = 7 \u00d7 13, so it is not prime."),
    ]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "91 ... no small factors?"},
        {"type": "text", "text": "Yes, 91 is prime."},
    ]
    assert conversation.external_id == "e7196cf3-12be-4096-99c1-1c8c983f71d6"
    assert conversation.title == "test_chat"
    assert conversation.metadata == {
        "inserted_at": "2025-11-22T15:41:50.639000+00:00",
        "updated_at": "2025-11-22T15:52:46.576000+00:00",
    }
    # A regenerated answer to the pushback: the current message says which one was shown.
    api = _api()
    body = api["data"]["biz_data"]
    regenerated = copy.deepcopy(body["chat_messages"][3]) | {"message_id": 5, "inserted_at": 1763826300.0}
    regenerated["fragments"][1]["content"] = "Regenerated: 91 = 7 \u00d7 13."
    body["chat_messages"].append(regenerated)
    assert (
        parse_one("deepseek", _dumps(api)).turns[3].text
        == "You're right: 91 = 7 \u00d7 13, so it is not prime."
    )
    # Without a current message, the newest branch; the biz_data alone reads the same.
    del body["chat_session"]["current_message_id"]
    assert parse_one("deepseek", _dumps(body)).turns[3].text == "Regenerated: 91 = 7 \u00d7 13."


def test_an_export_imports_once_and_its_account_file_is_skipped(engine: Engine) -> None:
    summary = run_import(engine, paths=[FOLDER])
    assert (summary.conversations_added, summary.error_count, summary.errors) == (4, 0, [])
    assert summary.pairs_detected >= 2  # the pushbacks of the first chat and of the API one
    assert {report["format"] for report in summary.file_reports if report.get("format")} == {"deepseek"}
    assert dict(summary.skipped) == {
        "ChatGPT/Claude.ai export account data": 1,
        "empty conversation": 1,
        "conversation without a prompt and an answer": 1,
    }
    assert dict(summary.dropped) == {"file": 1}
    again = run_import(engine, paths=[FOLDER])
    assert (again.conversations_added, again.duplicates) == (0, 4)


def test_string_ids_of_an_exporter_and_citation_marks_are_read() -> None:
    """An exporter of the web app's history writes the ids as strings (its own fixture, seen by two researchers);
    an answer marks the search tool's results where it cites them (`[reference:0]`), results the export keeps only as
    dropped fragments: links, not words."""
    api = _api()
    body = api["data"]["biz_data"]
    ids = {message["message_id"]: f"m-{message['message_id']}" for message in body["chat_messages"]}
    for message in body["chat_messages"]:
        message["message_id"] = ids[message["message_id"]]
        if message.get("parent_id") is not None:
            message["parent_id"] = ids[message["parent_id"]]
    body["chat_session"]["current_message_id"] = ids[body["chat_session"]["current_message_id"]]
    body["chat_messages"][3]["fragments"][1]["content"] = (
        "You're right: 91 = 7 \u00d7 13 [reference:0], so it is not prime.[reference:2]"
    )
    conversation = parse_one("deepseek", _dumps(api), API.name)
    assert turns(conversation)[3] == ("assistant", "You're right: 91 = 7 \u00d7 13, so it is not prime.")
    del body["chat_session"]["current_message_id"]
    assert len(parse_one("deepseek", _dumps(api)).turns) == 4
