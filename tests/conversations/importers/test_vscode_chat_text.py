"""VS Code's chat copied as text ("Copy All"): tests/fixtures/real_formats/vscode_chat_text/chat_history.md, written
by hand in the shape of real copies people committed (a Chinese homework log, a VS Code team member's sample logs)."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import RecordError
from app.conversations.importing import run_import

from .helpers import parse_one, turns

FIXTURE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "vscode_chat_text" / "chat_history.md"
)


def test_requests_responses_and_the_agents_actions() -> None:
    data = FIXTURE.read_bytes()
    assert detect_format(data[:65536], "chat_history.md") == "vscode-chat-text"
    assert detect_format(data[:65536], "notes.txt") == "vscode-chat-text"  # the content alone says so
    conversation = parse_one("vscode-chat-text", data, "chat_history.md")
    assert turns(conversation) == [
        ("user", "The export button on /reports does nothing. Fix it."),
        (
            "assistant",
            "I'll find the click handler first.\n\nThe button calls `exportCsv` but the handler is never bound. Let me "
            "fix it:\n\nThe `onClick` now calls `exportCsv(rows)`, and the Reports tests pass.",
        ),
        ("user", 'still nothing happens, and the console says "exportCsv is not a function"'),
        (
            "assistant",
            "You're right, `exportCsv` is a default export, so the named import is undefined.\n\nThe import is now "
            '`import exportCsv from "../lib/exportCsv"`, the button downloads `reports.csv`, and a test covers it:\n\n'
            '```ts\nimport exportCsv from "../lib/exportCsv";\n```\n\nNote: the old named import is gone from '
            "`Reports.tsx` too.",
        ),
    ]
    calls = [
        (block["name"], block["input"])
        for block in conversation.turns[1].blocks or []
        if block["type"] == "tool_use"
    ]
    assert calls == [
        ("search", {"query": 'codebase for "export button reports", 3 results'}),
        ("read_file", {"path": "/home/mona/shop/src/pages/Reports.tsx", "lines": "1-80"}),
        ("Replace String in File", {}),
        ("run_in_terminal", {"command": "npm test -- Reports"}),
    ]
    later = [(b["name"], b["input"]) for b in conversation.turns[3].blocks or [] if b["type"] == "tool_use"]
    assert later == [
        ("Open a browser page", {"url": "http://localhost:5173/reports"}),
        ("create_file", {"path": "/home/mona/shop/src/lib/exportCsv.test.ts"}),
    ]
    # `Made changes.` twice and `Optimizing tool selection...` once.
    assert conversation.dropped == {"notice": 3}
    assert conversation.metadata == {"exporter": "vscode-copy-all", "account": "mona-dev"}


def test_another_name_or_prose_starting_with_ran_stays_text() -> None:
    data = (
        b"octocat: run the tests\n\nGitHub Copilot: Ran the suite twice.\n\nNote: two are skipped.\n"
        b"hubot: this line is not a request\n"
    )
    conversation = parse_one("vscode-chat-text", data, "chat.md")
    assert turns(conversation) == [
        ("user", "run the tests"),
        ("assistant", "Ran the suite twice.\n\nNote: two are skipped.\nhubot: this line is not a request"),
    ]


def test_text_pasted_above_the_first_request_is_left_out_and_counted() -> None:
    """Twelfth fetch: a README (the earlier answer the request calls "this") above the copied chat, which then matched
    no format. The request right above the first response names the person, not a line of the text above it."""
    data = (
        b"# Deploy notes\n\nRun `make deploy` from the repo root.\n\nNote: it needs the AWS profile.\n\n"
        b"octo-ana: can you write this as a checklist I can paste\n\n"
        b"GitHub Copilot: Here it is:\n\n- [ ] Set the AWS profile\n- [ ] Run `make deploy`\n"
    )
    assert detect_format(data, "nrql.md") == "vscode-chat-text"
    conversation = parse_one("vscode-chat-text", data, "nrql.md")
    assert turns(conversation) == [
        ("user", "can you write this as a checklist I can paste"),
        ("assistant", "Here it is:\n\n- [ ] Set the AWS profile\n- [ ] Run `make deploy`"),
    ]
    assert conversation.dropped == {"text before the first request": 1}
    assert conversation.metadata == {"exporter": "vscode-copy-all", "account": "octo-ana"}


def test_a_requests_own_name_line_after_a_blank_line_does_not_name_the_person() -> None:
    """Review: an `Error: ...` line pasted in the first request, after a blank line, is the last `Name: ` line above
    the first response; the person is the name that opens the most messages across the copy."""
    data = (
        b"notes\n\ndana: fix the import\n\nError: No module named foo\n\nGitHub Copilot: Install foo.\n\n"
        b"dana: still broken\n\nGitHub Copilot: Check the virtual environment.\n"
    )
    assert detect_format(data, "chat.md") == "vscode-chat-text"
    conversation = parse_one("vscode-chat-text", data, "chat.md")
    assert turns(conversation) == [
        ("user", "fix the import\n\nError: No module named foo"),
        ("assistant", "Install foo."),
        ("user", "still broken"),
        ("assistant", "Check the virtual environment."),
    ]
    assert conversation.metadata == {"exporter": "vscode-copy-all", "account": "dana"}


def test_a_copy_without_a_response_is_one_clear_error() -> None:
    data = b"octocat: hello\n\nGitHub Copilot: \n"
    errors = [
        r
        for r in get_importer("vscode-chat-text").parse(io.BytesIO(data), "c.md")
        if isinstance(r, RecordError)
    ]
    assert [e.reason for e in errors] == [
        "no request with a response (`GitHub Copilot: ...`) in the copied chat"
    ]
    # Other text with a colon on its first line is not this format.
    assert detect_format(b"Note: call GitHub Copilot: later\n", "n.md") is None


def test_imports_with_its_pair_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[FIXTURE.parent], source="vscode", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.errors) == (1, 1, [])
    assert run_import(engine, paths=[FIXTURE.parent], source="vscode", workers=0).conversations_added == 0


def test_reads_whose_links_the_copy_lost_and_a_subagents_search_are_tool_calls() -> None:
    """A 2026 copy of an agent's review (eighth fetch): `Search complete: ...` opens the answer and the files read
    lost their links (`Read `, `Read , lines 1 to 60`); they stood in the answer's text before."""
    data = (
        b"User: Review the entire project for quality.\n\n"
        b"GitHub Copilot: Search complete: Explore project structure\n\n"
        b"Searched for files matching `**/*.scala`, 6 matches\n\nRead \n\nRead , lines 1 to 60\n\n"
        b"Here is the review, by severity:\n\n- `Calendar.scala` holds an unused variable.\n"
    )
    conversation = parse_one("vscode-chat-text", data, "review.md")
    answer = conversation.turns[1]
    assert answer.text == "Here is the review, by severity:\n\n- `Calendar.scala` holds an unused variable."
    assert answer.blocks is not None
    calls = [(b["name"], b["input"]) for b in answer.blocks if b["type"] == "tool_use"]
    assert calls == [
        ("search_subagent", {"task": "Explore project structure"}),
        ("search", {"query": "for files matching `**/*.scala`, 6 matches"}),
        ("read_file", {}),
        ("read_file", {"lines": "1-60"}),
    ]


def test_a_workspace_participants_response_right_after_a_request_is_a_response() -> None:
    """Thirteenth fetch: a copy whose first answer came from @workspace (`Workspace: `) read that answer as the
    request's own text, shifting every later turn. A `Workspace: ` line inside a message stays its text."""
    data = (
        b"lin-dev: walk me through this plugin, one file at a time\n\n"
        b"Workspace: Collecting workspace informationLet's start with `init.lua`.\n\n"
        b"Workspace: the folder the plugin reads its settings from.\n\n"
        b"Shall I go on to `picker.lua`?\n\n"
        b"lin-dev: yes, and skip\nWorkspace: my notes\n\n"
        b"GitHub Copilot: `picker.lua` defines the `Picker` class.\n"
    )
    assert detect_format(data, "chat.md") == "vscode-chat-text"
    conversation = parse_one("vscode-chat-text", data, "chat.md")
    assert turns(conversation) == [
        ("user", "walk me through this plugin, one file at a time"),
        (
            "assistant",
            "Collecting workspace informationLet's start with `init.lua`.\n\n"
            "Workspace: the folder the plugin reads its settings from.\n\nShall I go on to `picker.lua`?",
        ),
        ("user", "yes, and skip\nWorkspace: my notes"),
        ("assistant", "`picker.lua` defines the `Picker` class."),
    ]
    assert conversation.title == "walk me through this plugin, one file at a time"


def test_checking_a_background_terminal_is_a_tool_call() -> None:
    """Thirteenth fetch: an agent's `Checked background terminal output` lines stood in the answer's text."""
    data = (
        b"qrius: is the server up?\n\n"
        b"GitHub Copilot: Ran terminal command: npm run dev\n\n"
        b"Checked background terminal output\n\n"
        b"The server is up on port 5173.\n\nMade changes.\n"
    )
    conversation = parse_one("vscode-chat-text", data, "chat.md")
    answer = conversation.turns[1]
    assert answer.text == "The server is up on port 5173."
    calls = [(b["name"], b["input"]) for b in answer.blocks or [] if b["type"] == "tool_use"]
    assert calls == [("run_in_terminal", {"command": "npm run dev"}), ("get_terminal_output", {})]
    assert conversation.dropped == {"notice": 1}
