"""VS Code chat sessions (GitHub Copilot Chat): an exported chat.json and a stored chatSessions file.

The fixtures (tests/fixtures/real_formats/vscode_chat/) are written by hand in the shape VS Code writes
(`ISerializableChatData`, `toExport()` in microsoft/vscode's chatModel.ts).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, parse_one, turns

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "vscode_chat"
EXPORT = FOLDER / "chat.json"
STORED = next((FOLDER / "chatSessions").glob("*.json"))


def test_an_export_and_a_stored_session_are_detected() -> None:
    for path in (EXPORT, STORED):
        assert detect_format(path.read_bytes()[:65536], "chat.json") == "vscode-chat"


def test_a_long_first_request_is_still_detected() -> None:
    export = json.loads(EXPORT.read_bytes())
    export["requests"][0]["message"]["text"] = "word " * 20_000
    head = json.dumps(export).encode()
    assert len(head) > 65536
    assert detect_format(head[:65536], "chat.json") == "vscode-chat"


def test_requests_are_prompts_and_their_markdown_parts_the_answer() -> None:
    conversation = parse_one("vscode-chat", EXPORT.read_bytes(), EXPORT.name)
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant", "user"]
    assert conversation.turns[0].text == "Why does #file:cart.py compute the wrong total?"
    # The inline reference is written as VS Code shows it; the code block's link is left out.
    assert conversation.turns[1].text == (
        "In `total`, the discount is applied before the tax, so use:\n\n```python\n"
        "return round(subtotal * (1 - discount), 2)\n```"
    )
    # A cancelled request keeps its prompt and has no answer.
    assert conversation.turns[4].text == "Also handle a negative discount"
    assert conversation.metadata == {
        "responderUsername": "GitHub Copilot",
        "initialLocation": "panel",
        "models": ["copilot/claude-sonnet-4.5"],
    }


def test_thinking_edits_and_terminal_calls_are_blocks() -> None:
    conversation = parse_one("vscode-chat", EXPORT.read_bytes(), EXPORT.name)
    thinking, edit, call, result, text = conversation.turns[3].blocks or []
    assert thinking == {"type": "thinking", "thinking": "The user says discount after tax. Change the order."}
    assert edit["name"] == "edit_file"
    assert edit["input"] == {
        "file": "cart.py",
        "edits": ["    return round(subtotal * (1 + tax) * (1 - discount), 2)"],
    }
    assert (call["id"], call["name"], call["input"]) == ("t-101", "run_in_terminal", {"command": "pytest -q"})
    assert (result["tool_use_id"], result["content"]) == ("t-101", "3 passed in 0.12s")
    assert text["type"] == "text"


def test_a_stored_session_is_named_by_its_id_and_title() -> None:
    conversation = parse_one("vscode-chat", STORED.read_bytes(), STORED.name)
    assert conversation.external_id == "5f0e1d2c-3b4a-4958-8d7c-6b5a4f3e2d1c"
    assert conversation.title == "git stash pop"
    assert turns(conversation)[1] == (
        "assistant",
        "It applies the most recent stash and removes it from the stash list.",
    )


def test_a_request_without_a_prompt_is_named() -> None:
    export = json.loads(EXPORT.read_bytes())
    export["requests"][1]["message"] = {"parts": []}
    _, errors = parse("vscode-chat", jsonl(export))
    assert errors_of(errors) == [(1, None, "requests[1].message: expected the prompt's text, got null")]


def test_vscode_chats_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[FOLDER])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert {report["format"] for report in summary.file_reports} == {"vscode-chat"}
    again = run_import(engine, paths=[FOLDER])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_inline_references_to_files_and_web_pages_read_as_vscode_shows_them() -> None:
    export = json.loads(EXPORT.read_bytes())
    file = {"$mid": 1, "fsPath": "/home/dev/shop/tax.py", "path": "/home/dev/shop/tax.py", "scheme": "file"}
    page = {"$mid": 1, "external": "https://docs.python.org/3/library/decimal.html", "scheme": "https"}
    export["requests"][1]["response"] = [
        {"value": "See "},
        {"kind": "inlineReference", "inlineReference": file},
        {"value": " and "},
        {"kind": "inlineReference", "inlineReference": page},
        {"kind": "markdownContent", "content": {"value": "."}},
    ]
    conversation = parse_one("vscode-chat", json.dumps(export).encode(), EXPORT.name)
    assert conversation.turns[3].text == "See tax.py and https://docs.python.org/3/library/decimal.html."
