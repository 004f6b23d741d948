"""VS Code chat sessions (GitHub Copilot Chat): an exported chat.json and a stored chatSessions file.

The fixtures (tests/fixtures/real_formats/vscode_chat/) are written by hand in the shape VS Code writes
(`ISerializableChatData`, `toExport()` in microsoft/vscode's chatModel.ts).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
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


# VS Code 1.109+ stores a session as an operation log (`chatSessions/<id>.jsonl`, objectMutationLog.ts in
# microsoft/vscode): a snapshot line, then the changes that are replayed into it.
LOG = next((FOLDER.parent / "vscode_chat_log").rglob("chatSessions/*.jsonl"))


def _request(text: str, *answer: str) -> dict:
    return {
        "requestId": f"request_{text}",
        "message": {"text": text, "parts": []},
        "response": [{"value": a} for a in answer],
    }


def _log(*entries: dict) -> bytes:
    return b"".join(json.dumps(entry, separators=(",", ":")).encode() + b"\n" for entry in entries)


SNAPSHOT = {
    "kind": 0,
    "v": {
        "version": 3,
        "sessionId": "s-1",
        "initialLocation": "panel",
        "customTitle": "Draft",
        "requests": [_request("a")],
    },
}


def test_an_operation_log_is_detected_by_its_snapshot_line() -> None:
    assert detect_format(LOG.read_bytes()[:65536], "session.jsonl") == "vscode-chat"
    # Not a snapshot first: no format claims it.
    assert detect_format(_log({"kind": 1, "k": ["customTitle"], "v": "x"}), "session.jsonl") is None


def test_a_snapshot_line_longer_than_the_head_is_still_detected() -> None:
    snapshot = json.loads(LOG.read_bytes().splitlines()[0])
    snapshot["v"]["requests"] = [_request("word " * 20_000, "An answer.")]
    head = _log(snapshot)
    assert len(head) > 65536
    assert detect_format(head[:65536], "session.jsonl") == "vscode-chat"


def test_the_log_is_replayed_into_the_session_it_stored() -> None:
    conversation = parse_one("vscode-chat", LOG.read_bytes(), LOG.name)
    # The request that was edited and sent again (`i` cut the list at it) is gone, and so is its answer.
    assert turns(conversation) == [
        ("user", "Why is the last page returned by paginate() always empty?"),
        # The streamed answer's last part was rewritten (`i`): its final text only.
        ("assistant", "The slice is correct for 0-based pages; the caller passes `page === totalPages`."),
        ("user", "That's wrong: pages are 1-based. Fix src/paginate.ts and keep the signature."),
        (
            "assistant",
            "You're right. For 1-based pages the slice must start at `(page - 1) * size`:\n\n"
            "The function now treats `page=1` as the first page.",
        ),
    ]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "The slice looks right for 0-based pages; likely the caller."},
        {"type": "text", "text": conversation.turns[1].text},
    ]
    read, _, edit, run, result, _ = conversation.turns[3].blocks or []
    assert (read["name"], read["id"]) == ("copilot_readFile", "8a1f3c2e-aaaa-bbbb-cccc-000000000001")
    assert (run["name"], run["input"]) == ("run_in_terminal", {"command": "npm test -- paginate"})
    assert (result["tool_use_id"], result["content"]) == (run["id"], "PASS src/paginate.test.ts (3 tests)")
    assert (edit["name"], edit["input"]["file"]) == ("edit_file", "paginate.ts")
    assert conversation.external_id == "3f2a9c1e-5b7d-4c8e-9a0f-1b2c3d4e5f60"
    # customTitle was set by a later line.
    assert conversation.title == "Fix paginate 1-based pages"
    assert conversation.metadata == {
        "responderUsername": "GitHub Copilot",
        "initialLocation": "panel",
        "models": ["copilot/claude-sonnet-4.5"],
    }


def test_set_push_cut_and_delete_replay_as_vscode_applies_them() -> None:
    data = _log(
        SNAPSHOT,
        {"kind": 2, "k": ["requests"], "v": [_request("b")]},
        {"kind": 1, "k": ["requests", 1, "message", "text"], "v": "b2"},
        {"kind": 2, "k": ["requests", 1, "response"], "v": [{"value": "x"}]},
        {"kind": 2, "k": ["requests", 1, "response"], "v": [{"value": "y"}], "i": 0},
        {"kind": 2, "k": ["requests", 1, "followups"], "v": []},  # a list not there yet is created
        {"kind": 3, "k": ["customTitle"]},
        {"kind": 1, "k": ["requests", 0, "response"]},  # a set without `v` (undefined) removes the value
    )
    conversation = parse_one("vscode-chat", data, "s-1.jsonl")
    assert turns(conversation) == [("user", "a\n\nb2"), ("assistant", "y")]
    assert (conversation.external_id, conversation.title) == ("s-1", None)


def test_lines_that_cannot_be_applied_are_named_and_the_rest_replays() -> None:
    data = (
        _log(
            SNAPSHOT,
            {"kind": 2, "k": ["requests", 0, "response"], "v": [{"value": "An answer."}]},
            {"kind": 1, "k": ["requests", 3, "vote"], "v": 1},
            {"kind": 2, "k": ["customTitle"], "v": ["x"]},
            {"kind": 2, "k": ["requests"], "i": "1"},
            {"kind": 7, "k": []},
        )
        + b'{"kind":2,"k":["requests",0,"resp'
    )
    conversations, errors = parse("vscode-chat", data, "s-1.jsonl")
    assert errors_of(errors) == [
        (3, None, 'k: ["requests",3,"vote"] does not exist: ["requests",3] is not there'),
        (4, None, 'k: ["customTitle"] is a string, not a list'),
        (5, None, "i: expected the length to cut the list to, got a string"),
        (6, None, "kind: expected 0, 1, 2 or 3, got 7"),
        (7, None, "invalid JSON: unexpected end of data at character 33"),
    ]
    assert turns(conversations[0]) == [("user", "a"), ("assistant", "An answer.")]


def test_a_log_without_its_snapshot_first_is_one_error_at_line_1() -> None:
    data = _log({"kind": 1, "k": ["customTitle"], "v": "x"}, SNAPSHOT)
    assert errors_of(parse("vscode-chat", data, "s-1.jsonl")[1]) == [
        (1, None, 'expected the session\'s snapshot ({"kind":0,"v":{…}}) first, got kind 1')
    ]


def test_a_replayed_session_that_is_not_one_says_so() -> None:
    data = _log(SNAPSHOT, {"kind": 1, "k": ["requests", 0, "message"], "v": None})
    assert errors_of(parse("vscode-chat", data, "s-1.jsonl")[1]) == [
        (
            None,
            None,
            "the session replayed from the log: requests[0].message: expected the prompt's text, got null",
        )
    ]


def test_an_operation_log_imports_once(engine: Engine) -> None:
    folder = LOG.parents[3]
    summary = run_import(engine, paths=[folder])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert {report["format"] for report in summary.file_reports} == {"vscode-chat"}
    again = run_import(engine, paths=[folder])
    assert (again.conversations_added, again.duplicates) == (0, 1)


def test_an_export_whose_requests_got_no_answer_is_skipped() -> None:
    """A real export committed to a public repository: the one request was sent while Copilot was still setting
    itself up, so its response holds only progress messages."""
    export = json.loads(EXPORT.read_bytes())
    request = export["requests"][0]
    request["response"] = [
        {"kind": "progressMessage", "content": {"value": "Getting Copilot ready.", "isTrusted": False}},
        {"kind": "progressMessage", "content": {"value": "Copilot is almost ready.", "isTrusted": False}},
    ]
    export["requests"] = [request]
    conversations, errors = parse("vscode-chat", json.dumps(export).encode(), "chat.json")
    assert (conversations, errors) == ([], [])
    assert list(get_importer("vscode-chat").parse(io.BytesIO(json.dumps(export).encode()), "chat.json")) == [
        Skipped("VS Code chat without an answer")
    ]


def test_an_answer_cancelled_or_still_streaming_when_saved_is_no_answer() -> None:
    # The analyser's real examples: the second request's answer was cut off (`modelState.value` 2, cancelled).
    def request(prompt: str, text: str, state: int) -> dict[str, object]:
        return {
            "message": {"text": prompt},
            "response": [{"kind": "mcpServersStarting"}, {"value": text, "supportThemeIcons": False}],
            "modelState": {"value": state, "completedAt": 1779883606116},
        }

    session = {
        "responderUsername": "GitHub Copilot",
        "initialLocation": "panel",
        "requests": [
            request("hello", "Hello! I'm GitHub Copilot. How can I help you today?", 1),
            request(
                "make a hello world repo and push it",
                "I'd be happy to help you create a repo and push it to",
                2,
            ),
        ],
    }
    chat = parse_one("vscode-chat", json.dumps(session).encode(), "chat.json")
    assert turns(chat) == [
        ("user", "hello"),
        ("assistant", "Hello! I'm GitHub Copilot. How can I help you today?"),
        ("user", "make a hello world repo and push it"),
    ]
    assert chat.dropped == {"unfinished answer": 1}
