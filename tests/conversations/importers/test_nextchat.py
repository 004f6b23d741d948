"""NextChat (ChatGPT-Next-Web) backups: `Backup-<date>.json`, the app's stores with the chats in
`chat-next-web-store.sessions`.

The fixture (tests/fixtures/real_formats/nextchat/) is written by hand in the shape of the app's source
(`app/store/chat.ts`, `app/utils/sync.ts`) and a real 2023 backup: a mask with context messages, an MCP call and
its response, a plugin tool call, a failed answer (`isError`) and its retry, an image, en-US and zh-CN dates, a
greeting before the first prompt, an unanswered session and an empty one.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"
ROOT = FIXTURES / "nextchat"
BACKUP = ROOT / "Backup-5_14_2024, 9_41_07 PM.json"
SESSIONS = '$["chat-next-web-store"].sessions'
MINE = ("nextchat", "betterchatgpt", "typingmind")


def _backup() -> dict[str, Any]:
    backup: dict[str, Any] = json.loads(BACKUP.read_bytes())
    return backup


def _parse(data: bytes) -> tuple[list[ParsedConversation], list[RecordError]]:
    return parse("nextchat", data, BACKUP.name)


def test_a_backup_is_detected_by_content() -> None:
    assert detect_format(BACKUP.read_bytes()[:65536], "backup.json") == "nextchat"
    backup = _backup()
    for data in (json.dumps(backup).encode(), json.dumps(backup, indent=2).encode()):
        assert detect_format(data, "backup.json") == "nextchat"
    # The first session longer than the head, minified and indented.
    backup["chat-next-web-store"]["sessions"][0]["messages"][0]["content"] = "word " * 20_000
    for data in (json.dumps(backup).encode(), json.dumps(backup, indent=2).encode()):
        assert len(data) > 65536
        assert detect_format(data[:65536], "backup.json") == "nextchat"


def test_other_formats_fixtures_are_not_taken_for_nextchat() -> None:
    for path in FIXTURES.rglob("*.json*"):
        if path.is_file() and ROOT not in path.parents:
            assert detect_format(path.read_bytes()[:65536], path.name) != "nextchat", path
    # The per-chat JSON export NextChat also writes is an OpenAI record.
    assert detect_format(b'{"messages": [{"role": "user", "content": "hi"}]}', "x.json") == "openai"


def test_the_sessions_are_read_in_order() -> None:
    results = list(get_importer("nextchat").parse(io.BytesIO(BACKUP.read_bytes()), BACKUP.name))
    assert results[-2:] == [Skipped("NextChat session without an answer")] * 2
    conversations = [c for c in results[:-2] if isinstance(c, ParsedConversation)]
    assert len(conversations) == len(results) - 2
    assert [(c.external_id, c.title, c.json_path) for c in conversations] == [
        ("Vq7mN2xR9tLp0KjH3sWdE", "Bones In The Adult Body", f"{SESSIONS}[0]"),
        ("Wt5rE3wQ1aZ9xS7cD5vF3", "Weather In Lisbon", f"{SESSIONS}[1]"),
        ("Zx8cV6bN4mQ2wE0rT8yU6", "Percent Calculation", f"{SESSIONS}[2]"),
        # Still the default topic: the first prompt.
        ("Yh6gT4fR2eW0qA8sD6fG4", "Summarize the plot of Hamlet in two lines.", f"{SESSIONS}[3]"),
        ("Uj7hY5gT3fR1eW9qA7sD5", "柴犬品种", f"{SESSIONS}[4]"),
        ("Ik8jU6hY4gT2fR0eW8qA6", "French Greeting", f"{SESSIONS}[5]"),
    ]


def _by_id(conversations: list[ParsedConversation]) -> dict[str, ParsedConversation]:
    return {c.external_id: c for c in conversations}


def test_a_mask_gives_the_system_prompt_and_context_of_the_first_prompt() -> None:
    conversations, errors = _parse(BACKUP.read_bytes())
    assert errors == []
    bones = _by_id(conversations)["Vq7mN2xR9tLp0KjH3sWdE"]
    assert turns(bones) == [
        ("user", "How many bones does an adult human have?"),
        ("assistant", "An adult human skeleton has 212 bones."),
        ("user", "That's wrong, I'm fairly sure the usual count for adults is 206."),
        (
            "assistant",
            "You're right, I apologize. A typical adult skeleton has 206 bones; babies start with around 270 "
            "that fuse over time.",
        ),
    ]
    assert bones.system_prompt == "You are a patient anatomy tutor."
    assert bones.turns[0].blocks == [
        {"type": "context", "tag": "mask_context", "text": "Keep every answer to two sentences at most."},
        {"type": "context", "tag": "mask_context", "text": "Understood, I will keep it short."},
    ]
    assert bones.metadata == {
        "models": ["gpt-4o"],
        "first_message_date": "5/14/2024, 9:30:02 PM",
        "updated_at": "2024-05-14T21:31:19Z",
    }


def test_tool_calls_and_mcp_responses_are_blocks_of_one_answer() -> None:
    conversations, _ = _parse(BACKUP.read_bytes())
    by_id = _by_id(conversations)
    weather = by_id["Wt5rE3wQ1aZ9xS7cD5vF3"]
    assert [turn.role for turn in weather.turns] == ["user", "assistant"]
    assert weather.turns[1].blocks == [
        {"type": "text", "text": "Let me check the current conditions."},
        {"type": "tool_use", "id": None, "name": "current_weather", "input": {"city": "Lisbon"}},
        {
            "type": "tool_result",
            "tool_use_id": None,
            "content": '{"content":[{"type":"text","text":"21 °C, clear sky"}]}',
            "is_error": False,
        },
        {"type": "text", "text": "It is 21 °C with a clear sky in Lisbon."},
    ]
    assert weather.turns[1].text == (
        "Let me check the current conditions.\n\nIt is 21 °C with a clear sky in Lisbon."
    )
    percent = by_id["Zx8cV6bN4mQ2wE0rT8yU6"]
    assert percent.turns[1].blocks == [
        {
            "type": "tool_use",
            "id": "call_Qm81xPz",
            "name": "calculator",
            "input": {"expression": "0.175*2480"},
        },
        {"type": "tool_result", "tool_use_id": "call_Qm81xPz", "content": "434", "is_error": False},
        {"type": "text", "text": "17.5% of 2,480 is 434."},
    ]


def test_failed_answers_images_dates_and_greetings() -> None:
    conversations, _ = _parse(BACKUP.read_bytes())
    by_id = _by_id(conversations)
    retried = by_id["Yh6gT4fR2eW0qA8sD6fG4"]
    # The app's error message is not an answer: the prompt asked twice is one user turn, its text once.
    assert turns(retried)[0] == ("user", "Summarize the plot of Hamlet in two lines.")
    assert retried.dropped == {"repeated prompt": 1}
    assert [turn.role for turn in retried.turns] == ["user", "assistant"]
    assert retried.metadata["error_messages"] == 1
    assert retried.metadata["clear_context_index"] == 2
    image = by_id["Uj7hY5gT3fR1eW9qA7sD5"]
    assert turns(image)[0] == ("user", "What breed is this dog?")
    assert image.dropped == {"image": 1}
    # A zh-CN locale date is kept as written.
    assert image.metadata["first_message_date"] == "2024/5/14 21:05:11"
    greeting = by_id["Ik8jU6hY4gT2fR0eW8qA6"]
    assert turns(greeting) == [
        ("user", "How do I say good evening in French?"),
        ("assistant", "You say « bonsoir »."),
    ]
    assert greeting.turns[0].blocks == [
        {"type": "context", "tag": "greeting", "text": "Hello! How can I help you today?"}
    ]
    assert greeting.metadata["models"] == ["gpt-4o-mini"]


def test_a_backup_whose_sessions_do_not_open_it_is_read_whole() -> None:
    backup = _backup()
    store = backup.pop("chat-next-web-store")
    reordered = {"app-config": backup["app-config"], "chat-next-web-store": {"lastInput": "", **store}}
    for data in (json.dumps(reordered).encode(), json.dumps(reordered, indent=2).encode()):
        assert detect_format(data, "backup.json") == "nextchat"
        conversations, errors = _parse(data)
        assert errors == []
        assert [c.json_path for c in conversations][:2] == [f"{SESSIONS}[0]", f"{SESSIONS}[1]"]
        assert len(conversations) == 6


def test_bad_sessions_are_named_by_their_path_and_the_others_import() -> None:
    backup = _backup()
    sessions = backup["chat-next-web-store"]["sessions"]
    sessions[1]["messages"][2]["role"] = "tool"
    sessions[2]["messages"] = {"0": "not a list"}
    sessions[4]["messages"][0]["content"] = 42
    for data in (json.dumps(backup).encode(), json.dumps(backup, indent=2).encode()):
        conversations, errors = _parse(data)
        assert [c.external_id for c in conversations] == [
            "Vq7mN2xR9tLp0KjH3sWdE",
            "Yh6gT4fR2eW0qA8sD6fG4",
            "Ik8jU6hY4gT2fR0eW8qA6",
        ]
        assert errors_of(errors) == [
            (
                None,
                f"{SESSIONS}[1]",
                'messages[2].role: expected "user", "assistant" or "system", got "tool"',
            ),
            (None, f"{SESSIONS}[2]", "messages: expected a list, got an object"),
            (
                None,
                f"{SESSIONS}[4]",
                "messages[0].content: expected a string or a list of parts, got a number",
            ),
        ]


def test_a_cut_backup_keeps_the_sessions_before_the_cut() -> None:
    data = BACKUP.read_bytes()
    cut = data[: data.index(b"Zx8cV6bN4mQ2wE0rT8yU6")]
    conversations, errors = _parse(cut)
    assert [c.external_id for c in conversations] == ["Vq7mN2xR9tLp0KjH3sWdE", "Wt5rE3wQ1aZ9xS7cD5vF3"]
    assert errors_of(errors) == [(None, f"{SESSIONS}[2]", "file ends inside this record")]


def test_files_that_are_not_backups() -> None:
    importer = get_importer("nextchat")
    results = list(importer.parse(io.BytesIO(b'{"app-config": {}, "chat-next-web-store": 3}'), "x.json"))
    assert results == [
        RecordError(
            "the file's JSON object is not a NextChat backup: chat-next-web-store: expected an object, got a number",
            line=1,
            json_path=None,
        )
    ]
    results = list(importer.parse(io.BytesIO(b'{"chat-next-web-store": {"sessions": null}}'), "x.json"))
    assert results == [
        RecordError("chat-next-web-store.sessions: expected the list of sessions, got null", line=1)
    ]
    empty = b'{"chat-next-web-store": {"sessions": [], "currentSessionIndex": 0}}'
    assert list(importer.parse(io.BytesIO(empty), "x.json")) == [
        Skipped("NextChat session without an answer")
    ]
    with pytest.raises(FileFormatError, match=r"not JSON: the file starts with b'B', not '\{' or '\['"):
        list(importer.parse(io.BytesIO(b"Backup of my chats\n"), "x.json"))


def test_a_session_from_before_masks_and_numeric_ids() -> None:
    session = {
        "id": 1684000000000,
        "topic": "Tea",
        "memoryPrompt": "The user asked about tea.",
        "context": [{"role": "system", "content": "You are a tea expert.", "date": ""}],
        "messages": [
            {"role": "user", "content": "Is green tea caffeinated?", "date": "5/13/2023, 8:00:00 PM"},
            {"role": "assistant", "content": "Yes, but less than coffee.", "date": "5/13/2023, 8:00:04 PM"},
        ],
        "lastUpdate": "5/13/2023, 8:00:04 PM",
    }
    data = json.dumps({"chat-next-web-store": {"sessions": [session], "currentSessionIndex": 0}}).encode()
    conversations, errors = _parse(data)
    assert errors == []
    (tea,) = conversations
    assert (tea.external_id, tea.title, tea.system_prompt) == (
        "1684000000000",
        "Tea",
        "You are a tea expert.",
    )
    assert tea.metadata == {
        "first_message_date": "5/13/2023, 8:00:00 PM",
        "updated_at": "5/13/2023, 8:00:04 PM",
    }


def test_the_backup_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (6, 1, 0)
    assert dict(summary.skipped) == {"NextChat session without an answer": 2}
    assert dict(summary.dropped) == {"image": 1, "repeated prompt": 1}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 6)
