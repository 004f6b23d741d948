"""Open WebUI chat exports: the selected branch of each chat, `<details>` elements as blocks.

The fixture (tests/fixtures/real_formats/open_webui/) is written by hand in the shape Open WebUI's
"Export chats" writes (an array of ChatResponse objects with `chat.history`), plus an older chat with only
`chat.messages` and an empty new chat.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import

from .helpers import errors_of, parse, turns

EXPORT = next(
    (Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "open_webui").glob("*.json")
)


def _chats() -> list[dict]:
    chats: list[dict] = json.loads(EXPORT.read_bytes())
    return chats


def test_an_export_is_detected_by_content_and_by_a_bare_chat() -> None:
    assert detect_format(EXPORT.read_bytes()[:65536], "export.json") == "open-webui"
    bare = json.dumps(_chats()[0]["chat"]).encode()
    assert detect_format(bare, "chat.json") == "open-webui"


def test_a_chat_longer_than_the_head_is_still_detected() -> None:
    chat = _chats()[0]
    chat["chat"]["history"]["messages"]["a3"]["content"] = "word " * 20_000
    head = json.dumps([chat]).encode()
    assert len(head) > 65536
    assert detect_format(head[:65536], "export.json") == "open-webui"


def test_the_selected_branch_is_the_thread_and_other_answers_are_not_turns() -> None:
    conversations, errors = parse("open-webui", EXPORT.read_bytes(), EXPORT.name)
    assert errors == []
    first, older = conversations
    assert turns(first) == [
        ("user", "How do I see how much space /var/log takes?"),
        ("assistant", "Run `du -sh /var/log`: it prints the total, here 4.2G."),
        ("user", "I need it per subfolder, sorted by size, not one total."),
        ("assistant", "Use `du -h --max-depth=1 /var/log | sort -h`: one line per subfolder, largest last."),
    ]
    everything = json.dumps([(t.text, t.blocks) for t in first.turns])
    assert "ls -l" not in everything  # the regenerated answer
    assert "ncdu" not in everything  # the second model's answer
    assert first.external_id == "3f1d8c6e-2a4b-4c9d-8e7f-0a1b2c3d4e5f"
    assert first.title == "Disk usage of /var/log"
    assert first.metadata == {"models": ["qwen2.5-coder:14b", "llama3.1:8b"]}
    assert first.dropped == {"image": 1}
    assert turns(older) == [
        ("user", "A regex for CSS hex colours like #fff or #a0b1c2?"),
        ("assistant", "^#(?:[0-9a-fA-F]{3}){1,2}$ matches both the short and the long form."),
    ]


def test_reasoning_and_tool_calls_in_the_content_are_blocks() -> None:
    conversations, _ = parse("open-webui", EXPORT.read_bytes(), EXPORT.name)
    blocks = conversations[0].turns[1].blocks
    assert blocks == [
        {
            "type": "thinking",
            "thinking": "The user wants the size of a folder in human units.\ndu -sh does that.",
        },
        {"type": "tool_use", "id": "call_1", "name": "disk_usage", "input": {"path": "/var/log"}},
        {"type": "tool_result", "tool_use_id": "call_1", "content": "4.2G\t/var/log", "is_error": False},
        {"type": "text", "text": "Run `du -sh /var/log`: it prints the total, here 4.2G."},
    ]


def test_a_broken_message_is_named_and_the_other_chats_import() -> None:
    chats = _chats()
    chats[1]["chat"]["messages"][1]["content"] = {"text": "x"}
    conversations, errors = parse("open-webui", json.dumps(chats).encode(), EXPORT.name)
    assert len(conversations) == 1
    assert errors_of(errors) == [(None, "$[1]", "message m2: content is an object")]


def test_a_selected_message_the_history_lost_falls_back_to_the_newest_whole_thread() -> None:
    """Open WebUI can leave `currentId` naming a message its history no longer holds, and a parent or a child the
    same (a chat-repair tool's real test file, tenth fetch: the whole chat was refused). The newest leaf whose
    parents reach the first message is the thread; an orphan is not; the fallback is counted."""
    chats = _chats()
    history = chats[0]["chat"]["history"]
    expected = len(_thread_of(history))
    history["currentId"] = "gone"
    history["messages"]["orphan"] = {
        "id": "orphan", "parentId": "ghost", "childrenIds": [], "role": "user", "content": "lost", "timestamp": 9e9,
    }  # fmt: skip
    (conversation,), errors = parse("open-webui", json.dumps(chats[:1]).encode(), EXPORT.name)
    assert errors == []
    assert len(conversation.turns) == expected
    assert "lost" not in [turn.text for turn in conversation.turns]
    assert conversation.dropped["selected message missing"] == 1


def _thread_of(history: dict[str, Any]) -> list[str]:
    """The ids from `currentId` back to the first message."""
    ids, current = [], history["currentId"]
    while current is not None:
        ids.append(current)
        current = history["messages"][current]["parentId"]
    return ids


def test_a_cycle_in_the_parents_ends_the_walk() -> None:
    chats = _chats()
    messages = chats[0]["chat"]["history"]["messages"]
    messages["u1"]["parentId"] = "a3"
    conversations, errors = parse("open-webui", json.dumps(chats[:1]).encode(), EXPORT.name)
    assert errors == []
    assert len(conversations[0].turns) == 4


def test_without_a_saved_selection_the_newest_answer_ends_the_thread() -> None:
    chats = _chats()
    history = chats[0]["chat"]["history"]
    history["currentId"] = None
    history["messages"]["a1"]["timestamp"] = "not a number"
    conversations, errors = parse("open-webui", json.dumps(chats[:1]).encode(), EXPORT.name)
    assert errors == []
    assert conversations[0].turns[-1].text == "Try `ncdu /var/log`."


def test_an_export_imports_once_with_its_skips_and_drops(engine: Engine) -> None:
    summary = run_import(engine, paths=[EXPORT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert dict(summary.skipped) == {"empty chat": 1}
    assert dict(summary.dropped) == {"image": 1}
    assert summary.file_reports[0]["format"] == "open-webui"
    again = run_import(engine, paths=[EXPORT])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_code_run_by_the_interpreter_is_a_tool_call_with_its_output() -> None:
    chats = _chats()
    answer = chats[0]["chat"]["history"]["messages"]["a3"]
    output = json.dumps({"stdout": "42\n", "stderr": ""}).replace('"', "&quot;")
    answer["content"] = (
        f'<details type="code_interpreter" done="true" output="{output}">\n<summary>Analyzed</summary>\n'
        "```python\nprint(6 * 7)\n```\n</details>\nThe answer is 42."
    )
    conversations, errors = parse("open-webui", json.dumps(chats[:1]).encode(), EXPORT.name)
    assert errors == []
    call, result, text = conversations[0].turns[3].blocks or []
    assert (call["name"], call["input"]) == ("code_interpreter", "```python\nprint(6 * 7)\n```")
    assert result["content"] == '{"stdout": "42\\n", "stderr": ""}'
    assert text == {"type": "text", "text": "The answer is 42."}


def test_the_output_items_of_open_webui_0_11_are_thinking_tool_calls_and_text() -> None:
    """Open WebUI 0.11 keeps what the model produced as Responses-style `output` items beside the bare `content` (the
    shape of a chat taken from a 0.11.4 server, written here by hand)."""
    answer = {
        "id": "a1",
        "parentId": "u1",
        "childrenIds": [],
        "role": "assistant",
        "content": "Clear, 17°C.",
        "output": [
            {
                "type": "reasoning",
                "content": [
                    {"type": "output_text", "text": "Look it "},
                    {"type": "output_text", "text": "up."},
                ],
            },
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "search_web",
                "arguments": '{"query": "weather Paris"}',
            },
            {
                "type": "function_call_output",
                "call_id": "c1",
                "output": [{"type": "input_text", "text": "[results]"}],
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Clear, 17°C."}],
            },
        ],
    }
    prompt = {
        "id": "u1",
        "parentId": None,
        "childrenIds": ["a1"],
        "role": "user",
        "content": "Weather in Paris?",
    }
    chat = {
        "id": "c-1",
        "title": "Weather",
        "chat": {"history": {"currentId": "a1", "messages": {"u1": prompt, "a1": answer}}},
    }
    (conversation,), errors = parse("open-webui", json.dumps([chat]).encode(), "chat-export.json")
    assert errors == []
    assert turns(conversation) == [("user", "Weather in Paris?"), ("assistant", "Clear, 17°C.")]
    blocks = conversation.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["thinking", "tool_use", "tool_result", "text"]
    assert blocks[0]["thinking"] == "Look it up."
    assert blocks[1]["input"] == {"query": "weather Paris"}
    assert blocks[2]["content"] == "[results]"
