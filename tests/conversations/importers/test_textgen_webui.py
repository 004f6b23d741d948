"""text-generation-webui (oobabooga) saved chats: `{internal, visible, metadata}` and the oldest `{data, data_visible}`.

The fixtures (tests/fixtures/real_formats/textgen_webui/) are written by hand in the shapes modules/chat.py's
`save_history` writes (pretty-printed, `indent=4`): `internal` the raw rows, `visible` the same HTML-escaped,
`metadata` per message (`user_<row>`, `assistant_<row>`: timestamp, model_name, versions, attachments).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importers.textgen_webui import split_thinking
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "textgen_webui"
CHAT = ROOT / "user_data" / "logs" / "chat" / "Assistant" / "20250314-18-22-05.json"
INSTRUCT = ROOT / "user_data" / "logs" / "instruct" / "20240601-10-00-00.json"
PERSISTENT = ROOT / "logs" / "Example_persistent.json"


def test_all_shapes_are_detected_by_content() -> None:
    for path in (CHAT, INSTRUCT, PERSISTENT):
        assert detect_format(path.read_bytes()[:65536], "saved.json") == "textgen-webui"
    assert not get_importer("textgen-webui").sniff(b'{"data": [["a", "b"]]}', "x.json")
    assert detect_format(b'{"last_chats": {"chat_Assistant": "20250314-18-22-05"}}', "x.json") is None


def test_a_chat_longer_than_the_head_is_still_detected() -> None:
    for path in (CHAT, PERSISTENT):
        record = json.loads(path.read_bytes())
        key = "internal" if "internal" in record else "data"
        record[key][1][1] += " word" * 20_000
        head = json.dumps(record, indent=4).encode()
        assert len(head) > 65536
        assert detect_format(head[:65536], "saved.json") == "textgen-webui"


def test_internal_is_read_with_thinking_versions_and_attachments() -> None:
    conversation = parse_one("textgen-webui", CHAT.read_bytes(), str(CHAT))
    # The raw text, not the HTML-escaped copy in `visible`.
    assert turns(conversation) == [
        ("user", 'Write a Python one-liner that checks if "s" is a palindrome & ignores case.'),
        ("assistant", "`s == s[::-1]`"),
        ("user", "That doesn't ignore case: 'Abba' returns False."),
        ("assistant", "You're right. Lower-case it first: `s.lower() == s.lower()[::-1]`"),
    ]
    assert conversation.turns[0].blocks == [
        {"type": "context", "tag": "greeting", "text": "How can I help you today?"}
    ]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "Compare the string with its reverse."},
        {"type": "text", "text": "`s == s[::-1]`"},
    ]
    assert conversation.turns[2].blocks == [
        {
            "type": "context",
            "tag": "attachment",
            "text": "palindromes read the same both ways",
            "name": "notes.txt",
        }
    ]
    assert conversation.external_id == "chat/Assistant/20250314-18-22-05"
    assert conversation.title == 'Write a Python one-liner that checks if "s" is a palindrome & ignores case.'
    assert conversation.metadata == {
        "mode": "chat",
        "character": "Assistant",
        "models": ["Qwen_Qwen3-8B-Q4_K_M.gguf"],
        "regenerated_responses": 1,
    }


def test_instruct_and_the_oldest_persistent_log() -> None:
    instruct = parse_one("textgen-webui", INSTRUCT.read_bytes(), str(INSTRUCT))
    assert turns(instruct) == [
        ("user", "What is 2**10?"),
        ("assistant", "1024"),
        ("user", "And 2**-1?"),
        ("assistant", "0.5"),
    ]
    assert (instruct.external_id, instruct.metadata) == ("instruct/20240601-10-00-00", {"mode": "instruct"})
    old = parse_one("textgen-webui", PERSISTENT.read_bytes(), str(PERSISTENT))
    assert turns(old)[1] == ("assistant", "Yes, 91 is prime.")
    assert old.turns[0].blocks == [{"type": "context", "tag": "greeting", "text": "Hi, I'm Chiharu."}]
    assert (old.external_id, old.metadata) == ("Example_persistent", {"mode": "chat", "character": "Example"})


def test_thinking_formats() -> None:
    assert split_thinking("<think>a</think>\n\nb") == ("a", "b")
    assert split_thinking("a</think>b") == ("a", "b")
    assert split_thinking("<seed:think>s</seed:think> r") == ("s", "r")
    gpt_oss = "<|channel|>analysis<|message|>t<|end|><|start|>assistant<|channel|>final<|message|>ans"
    assert split_thinking(gpt_oss) == ("t", "ans")
    assert split_thinking("plain <think>x</think>") == (None, "plain <think>x</think>")
    assert split_thinking("no thinking") == (None, "no thinking")


def test_tool_calls_and_images() -> None:
    record = {
        "internal": [["Weather in Paris?", "It is 18 °C in Paris."]],
        "visible": [["Weather in Paris?", "It is 18 °C in Paris."]],
        "metadata": {
            "user_0": {"attachments": [{"name": "map.png", "type": "image"}]},
            "assistant_0": {
                "tool_sequence": [
                    {
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                            }
                        ],
                        "content": "",
                    },
                    {"role": "tool", "content": "18 C", "tool_call_id": "call_1"},
                ]
            },
        },
    }
    conversation = parse_one("textgen-webui", json.dumps(record).encode(), "chat.json")
    call, result, text = conversation.turns[1].blocks or []
    assert call == {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}}
    assert (result["tool_use_id"], result["content"], result["is_error"]) == ("call_1", "18 C", False)
    assert text == {"type": "text", "text": "It is 18 °C in Paris."}
    assert conversation.dropped == {"image": 1}


def test_bad_rows_are_named_and_a_greeting_only_chat_is_skipped() -> None:
    record = json.loads(CHAT.read_bytes())
    record["internal"][2] = ["only one"]
    conversations, errors = parse("textgen-webui", json.dumps(record, indent=4).encode(), str(CHAT))
    assert conversations == []
    assert errors_of(errors) == [
        (None, "$", "internal[2]: expected a [user, assistant] pair of texts, got [a string]")
    ]
    wrong = json.dumps({"internal": {"a": 1}, "visible": []}, indent=4).encode()
    _, errors = parse("textgen-webui", wrong, "x.json")
    assert errors_of(errors) == [
        (
            None,
            "$",
            "the file's JSON object is not a text-generation-webui conversation: internal: expected the list "
            "of [user, assistant] rows, got an object",
        )
    ]
    fresh = {"internal": [["<|BEGIN-VISIBLE-CHAT|>", "Hello!"]], "visible": [["", "Hello!"]], "metadata": {}}
    results = list(get_importer("textgen-webui").parse(io.BytesIO(json.dumps(fresh).encode()), "x"))
    assert results == [Skipped("text-generation-webui chat without a conversation")]


def test_a_logs_folder_imports_once_and_skips_chat_state(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 2, 0)
    assert {report["format"] for report in summary.file_reports if report["format"]} == {"textgen-webui"}
    assert dict(summary.skipped) == {
        "text-generation-webui last-opened chats (chat_state.json), not a conversation": 1
    }
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 3)
