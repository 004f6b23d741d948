"""LM Studio chats: one `<created ms>.conversation.json` object a chat, each message its versions.

LM Studio is closed source: the fixture (tests/fixtures/real_formats/lm_studio/) is written by hand in the shape
its files have and the tools that read and write them agree on (singleStep prompts, multiStep answers of
contentBlock steps, thinking steps, toolCallRequest/toolCallResult parts, toolStatus steps).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "lm_studio"
CHAT = ROOT / "conversations" / "1737000000000.conversation.json"


def _chat() -> dict[str, Any]:
    chat: dict[str, Any] = json.loads(CHAT.read_bytes())
    return chat


def test_a_chat_is_detected_by_content_even_when_its_first_message_is_long() -> None:
    assert detect_format(CHAT.read_bytes(), CHAT.name) == "lm-studio"
    chat = _chat()
    chat["messages"][0]["versions"][0]["content"][0]["text"] = "word " * 20_000
    head = json.dumps(chat, indent=2).encode()
    assert len(head) > 65536
    assert detect_format(head[:65536], CHAT.name) == "lm-studio"
    empty = {"name": "New Chat", "createdAt": 1, "messages": [], "perChatPredictionConfig": {"fields": []}}
    assert detect_format(json.dumps(empty).encode(), "x.json") == "lm-studio"
    # An OpenAI record keeps its importer.
    assert detect_format(b'{"messages": [{"role": "user", "content": "hi"}]}', "x.json") == "openai"


def test_the_selected_versions_are_the_turns() -> None:
    conversation = parse_one("lm-studio", CHAT.read_bytes(), str(CHAT))
    assert turns(conversation) == [
        ("user", "Explain recursion in one sentence."),
        ("assistant", "Recursion is when a function solves a problem by calling itself on smaller inputs."),
        ("user", "That is too vague. Mention the base case."),
        (
            "assistant",
            "Recursion is when a function calls itself on a smaller input until it reaches a base case that it "
            "answers directly.",
        ),
        ("user", "Now what is the weather in Paris?"),
        ("assistant", "It is 18C and cloudy in Paris."),
    ]
    assert conversation.external_id == "1737000000000"
    assert conversation.title == "Explain recursion"
    assert conversation.system_prompt == "Be concise."
    assert conversation.metadata == {"models": ["qwen3-8b"]}


def test_thinking_steps_and_tool_calls_are_blocks() -> None:
    conversation = parse_one("lm-studio", CHAT.read_bytes(), str(CHAT))
    thinking, _ = conversation.turns[1].blocks or []
    assert thinking == {"type": "thinking", "thinking": "Short and precise."}
    call, result, text = conversation.turns[5].blocks or []
    assert (call["id"], call["name"], call["input"]) == ("842391", "get_weather", {"city": "Paris"})
    assert (result["tool_use_id"], result["is_error"]) == ("842391", False)
    assert text["text"] == "It is 18C and cloudy in Paris."
    chat = _chat()
    steps = chat["messages"][5]["versions"][0]["steps"]
    steps[1]["statusState"]["status"]["type"] = "toolCallFailed"
    failed = parse_one("lm-studio", json.dumps(chat).encode(), str(CHAT))
    assert (failed.turns[5].blocks or [])[1]["is_error"] is True


def test_bad_messages_are_named_by_path_and_an_empty_chat_is_skipped() -> None:
    chat = _chat()
    chat["messages"][1]["currentlySelected"] = 7
    conversations, errors = parse("lm-studio", json.dumps(chat, indent=2).encode(), str(CHAT))
    assert conversations == []
    assert errors_of(errors) == [(None, "$", "messages[1].currentlySelected: 7 is not one of its 2 versions")]
    chat = _chat()
    chat["messages"][0]["versions"] = {}
    _, errors = parse("lm-studio", json.dumps(chat, indent=2).encode(), str(CHAT))
    assert errors_of(errors) == [
        (None, "$", "messages[0].versions: expected a list of versions, got an object")
    ]
    empty = {"name": "New Chat", "createdAt": 1, "messages": [], "lastUsedModel": {}}
    assert parse("lm-studio", json.dumps(empty).encode(), "1.conversation.json") == ([], [])


def test_an_lm_studio_folder_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (1, 1, 0)
    assert {report["format"] for report in summary.file_reports} == {"lm-studio"}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 1)
