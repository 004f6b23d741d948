"""ChatGPT conversations as HTML: the data export's chat.html (`var jsonData = [...]` in its script) and ChatGPT
Exporter's pages. Fixtures in tests/fixtures/real_formats/chatgpt_html/, hand-written: chat.html in the shape
readers of real exports cut the array from, the exporter page from its `src/exporter/html.ts` template."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.files import CHAT_VIEW_REASON, NotConversation, iter_input_files
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.conversations.reading import NOT_A_CHAT_PAGE

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "chatgpt_html"
PAGE = ROOT / "ChatGPT-Sort_a_dict_by_value.html"
EXPORT = ROOT / "chat.html"
OFFICIAL = ROOT.parent / "chatgpt_export"


def _parse(data: bytes, name: str = "chat.html") -> list[object]:
    return list(get_importer("chatgpt-html").parse(io.BytesIO(data), name))


def _conversations(results: list[object]) -> list[ParsedConversation]:
    assert all(isinstance(r, ParsedConversation) for r in results), results
    return [r for r in results if isinstance(r, ParsedConversation)]


def _page(array: str, *, markup: int = 0) -> bytes:
    """A chat.html page whose script holds `array`, after `markup` bytes of style."""
    style = "/* " + "x" * markup + " */" if markup else ""
    return (
        f"<!DOCTYPE html>\n<html><head><style>{style}</style></head><body>\n<script>\n"
        f"var jsonData = {array};\nvar assetsJson = {{}};\nfunction getConversationMessages(c) {{ return []; }}\n"
        "</script></body></html>\n"
    ).encode()


def test_both_pages_are_detected_by_content() -> None:
    for path in (PAGE, EXPORT):
        assert detect_format(path.read_bytes()[:65536], "download.html") == "chatgpt-html"
    # The export's page with more markup than the head before its script: known by its name.
    long = _page("[]", markup=200_000)
    assert detect_format(long[:65536], "export/chat.html") == "chatgpt-html"
    assert detect_format(long[:65536], "export/other.html") is None
    assert detect_format(b"<html><body><p>User: hi</p></body></html>", "page.html") != "chatgpt-html"


def test_an_exporter_page_reads_as_the_page_shows_it() -> None:
    (conversation,) = _parse(PAGE.read_bytes(), "exports/ChatGPT-Sort_a_dict_by_value.html")
    assert isinstance(conversation, ParsedConversation)
    assert (conversation.external_id, conversation.title) == (
        "681a2b3c-4d5e-800c-9f01-23456789abcd",
        "Sort a dict by value",
    )
    assert conversation.metadata == {
        "source_url": "https://chatgpt.com/c/681a2b3c-4d5e-800c-9f01-23456789abcd",
        "create_time": "2025-05-06T09:10:02.000Z",
    }
    assert conversation.dropped == {"image": 1}
    assert turns(conversation) == [
        # The prompt as typed: its line breaks and the characters the page escaped.
        (
            "user",
            'Sort this dict by value, largest first:\n\nscores = {"ann": 3, "bob": 7, "cy": 5}\n\n'
            "and keep it a dict & not a list.",
        ),
        (
            "assistant",
            "Use `sorted` on the items:\n\n```python\n"
            "ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)\n```\n\n"
            "This gives `[('bob', 7), ('cy', 5), ('ann', 3)]`.",
        ),
        ("user", "that's a list of tuples, not a dict. I said keep it a dict."),
        (
            "assistant",
            "You're right, I returned the items. Dicts keep insertion order (Python 3.7+), so build one from "
            "them:\n\n```python\nranked = dict(sorted(scores.items(), key=lambda kv: kv[1], reverse=True))\n"
            "```\n\n- `ranked` is `{'bob': 7, 'cy': 5, 'ann': 3}`\n- ties keep their original order\n\n"
            "| way | result |\n| --- | --- |\n| sorted(...) | list |\n| dict(sorted(...)) | dict |",
        ),
    ]
    thinking = conversation.turns[3].blocks[0]  # type: ignore[index]
    assert thinking == {
        "type": "thinking",
        "thinking": "Reading the follow-up\n\nThe user wants a dict back, so wrap the sorted items in dict().",
    }


def test_a_page_without_its_chat_link_is_named_by_its_path() -> None:
    page = PAGE.read_text().replace("https://chatgpt.com/c/681a2b3c-4d5e-800c-9f01-23456789abcd", "#")
    (conversation,) = _parse(page.encode(), "exports/sorted.html")
    assert isinstance(conversation, ParsedConversation)
    assert conversation.external_id == "exports/sorted.html"
    assert "source_url" not in conversation.metadata


def test_an_exporter_page_with_one_side_only_is_an_error() -> None:
    page = PAGE.read_text()
    only_user = page[: page.index('<div class="conversation-item">\n    <div class="author GPT-3">')]
    (error,) = _parse(only_user.encode(), "one-sided.html")
    assert isinstance(error, RecordError)
    assert error.reason == "ChatGPT Exporter page: no assistant answer: only the user's messages"


def test_chat_html_reads_the_conversations_its_script_holds() -> None:
    results = _parse(EXPORT.read_bytes())
    assert [type(r) for r in results] == [ParsedConversation, ParsedConversation]
    first, second = results
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert (first.external_id, first.json_path, first.title) == (
        "67a1f0c2-1b2c-800c-9d3e-5f6a7b8c9d0e",
        "jsonData[0]",
        "Regex for dates",
    )
    assert first.turns[3].text.endswith("A page that prints it needs `</script>` escaped, by the way.")
    assert turns(second) == [
        ("user", "Translate 'the café opens at nine' into French."),
        ("assistant", "« Le café ouvre à neuf heures. »"),
    ]


def test_chat_html_reads_as_conversations_json_does() -> None:
    from_page = _conversations(_parse((OFFICIAL / "chat.html").read_bytes()))
    from_json = _conversations(
        list(
            get_importer("chatgpt").parse(
                io.BytesIO((OFFICIAL / "conversations.json").read_bytes()), "c.json"
            )
        )
    )
    assert [turns(c) for c in from_page] == [turns(c) for c in from_json]
    assert [c.dropped for c in from_page] == [c.dropped for c in from_json]


def test_the_script_is_found_past_the_markup_and_across_read_chunks() -> None:
    array = (EXPORT.read_text().split("var jsonData = ", 1)[1]).split(";\n", 1)[0]
    for markup in (70_000, (1 << 20) - 40, 3 << 20):  # past the head; the marker cut by a 1 MB chunk; far on
        results = _conversations(_parse(_page(array, markup=markup)))
        assert [r.external_id for r in results] == [
            "67a1f0c2-1b2c-800c-9d3e-5f6a7b8c9d0e",
            "67a1f3d4-2c3d-800c-8e4f-6a7b8c9d0e1f",
        ]


def test_a_bad_item_is_named_and_the_others_import() -> None:
    export = json.loads(EXPORT.read_text().split("var jsonData = ", 1)[1].split(";\n", 1)[0])
    export.insert(1, {"title": "broken", "mapping": []})
    export.insert(2, "not a conversation")
    results = _parse(_page(json.dumps(export)))
    errors = [(r.json_path, r.reason) for r in results if isinstance(r, RecordError)]
    assert errors == [
        ("jsonData[1]", "mapping: expected an object, got a list"),
        ("jsonData[2]", "expected a JSON object, got a string"),
    ]
    assert sum(isinstance(r, ParsedConversation) for r in results) == 2


def test_pages_without_conversations_say_so() -> None:
    (skipped,) = _parse(_page("[]"))
    assert isinstance(skipped, Skipped)
    assert skipped.reason == "chat.html holds no conversations (`var jsonData = []`)"
    for page, reason in (
        (
            b"<html><script>var jsonData = {};</script></html>",
            "`var jsonData =` is not followed by a JSON array",
        ),
        (b"<html><script>var jsonData;</script></html>", "`var jsonData` is not followed by `= [...]`"),
        (
            b"<html><body>export viewer</body></html>",
            "an HTML page without ChatGPT conversations: neither the export's `var jsonData = [...]` "
            "(chat.html) nor ChatGPT Exporter's conversation items",
        ),
    ):
        with pytest.raises(FileFormatError) as raised:
            _parse(page)
        assert str(raised.value) == reason


def test_chat_html_beside_conversations_json_is_skipped_in_folders_and_zips(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("chat.html", "conversations.json"):
        (folder / name).write_bytes((OFFICIAL / name).read_bytes())
    listed = {Path(i.name).name: i for i in iter_input_files([folder])}
    assert isinstance(listed["chat.html"], NotConversation)
    assert listed["chat.html"].reason == CHAT_VIEW_REASON
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(folder / "chat.html", "chat.html")
        out.write(folder / "conversations.json", "conversations.json")
        out.write(ROOT / "chat.html", "other/chat.html")  # a page with no conversations.json beside it
    listed = {i.name.rsplit("!", 1)[-1]: i for i in iter_input_files([archive])}
    assert isinstance(listed["chat.html"], NotConversation)
    assert not isinstance(listed["other/chat.html"], NotConversation)
    # Named on its own, the page is read.
    assert not isinstance(next(iter_input_files([folder / "chat.html"])), NotConversation)


def test_import_stores_the_pairs_and_again_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    other = tmp_path / "viewer.html"
    other.write_text("<!DOCTYPE html><html><body><h1>Release notes</h1><p>Nothing to see.</p></body></html>")
    summary = run_import(engine, paths=[ROOT, other], source="chatgpt-html", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.errors) == (3, 2, [])
    assert dict(summary.skipped) == {NOT_A_CHAT_PAGE: 1}
    assert run_import(engine, paths=[ROOT], source="chatgpt-html", workers=0).conversations_added == 0


def test_an_exporter_page_with_its_whole_style_sheet_reads() -> None:
    # The exporter's template carries about 400 lines of CSS before the first message.
    page = PAGE.read_text().replace("</style>", "/* " + "x" * 30_000 + " */\n    </style>")
    assert detect_format(page.encode()[:65536], "page.html") == "chatgpt-html"
    (conversation,) = _parse(page.encode(), "page.html")
    assert isinstance(conversation, ParsedConversation)
    assert len(conversation.turns) == 4
