"""Format-specific shapes: tool calls, regenerations, explicit preference pairs, Markdown styles."""

from __future__ import annotations

import json

import pytest

from app.conversations.importers.base import ExplicitPair, FileFormatError
from app.conversations.importers.preference import SHAPES

from .helpers import errors_of, jsonl, parse, parse_one, turns

USER = {"role": "user", "content": "Weather in Paris?"}


def test_openai_tool_calls_become_blocks_of_one_assistant_turn() -> None:
    record = {
        "messages": [
            {"role": "developer", "content": "Be brief."},
            USER,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
                    },
                    {"id": "c2", "type": "function", "function": {"name": "raw", "arguments": "not json"}},
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "18C"},
            {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "ok"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "18C and sunny."}]},
        ]
    }
    conversation = parse_one("openai", jsonl(record))
    assert conversation.system_prompt == "Be brief."
    assert turns(conversation) == [("user", "Weather in Paris?"), ("assistant", "18C and sunny.")]
    assert conversation.turns[1].blocks == [
        {"type": "tool_use", "id": "c1", "name": "weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "c2", "name": "raw", "input": "not json"},
        {"type": "tool_result", "tool_use_id": "c1", "content": "18C", "is_error": False},
        {"type": "tool_result", "tool_use_id": "c2", "content": "ok", "is_error": False},
        {"type": "text", "text": "18C and sunny."},
    ]


def test_consecutive_same_role_messages_merge() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "Part one."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "Part two."}, {"type": "image_url", "image_url": {}}],
            },
            {"role": "assistant", "content": "A."},
            {"role": "assistant", "content": "B."},
        ]
    }
    assert turns(parse_one("openai", jsonl(record))) == [
        ("user", "Part one.\n\nPart two."),
        ("assistant", "A.\n\nB."),
    ]


def test_anthropic_blocks_and_tool_results_sent_as_user_content() -> None:
    record = {
        "id": "conv-9",
        "system": [{"type": "text", "text": "You are terse."}],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "List files"}, {"type": "image", "source": {}}],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Use ls.", "signature": "s"},
                    {"type": "redacted_thinking", "data": "x"},
                    {"type": "tool_use", "id": "tu1", "name": "bash", "input": {"cmd": "ls"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "tu1", "content": "a.py", "is_error": False}
                ],
            },
            {"role": "assistant", "content": "One file: a.py."},
        ],
    }
    conversation = parse_one("anthropic", jsonl(record))
    assert conversation.external_id == "conv-9"
    assert conversation.system_prompt == "You are terse."
    assert turns(conversation) == [("user", "List files"), ("assistant", "One file: a.py.")]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "Use ls."},
        {"type": "tool_use", "id": "tu1", "name": "bash", "input": {"cmd": "ls"}},
        {"type": "tool_result", "tool_use_id": "tu1", "content": "a.py", "is_error": False},
        {"type": "text", "text": "One file: a.py."},
    ]


def test_sharegpt_function_calls_observations_and_jsonl() -> None:
    record = {
        "system": "Use tools.",
        "conversations": [
            {"from": "human", "value": "Weather?"},
            {
                "from": "function_call",
                "value": json.dumps({"name": "weather", "arguments": {"city": "Paris"}}),
            },
            {"from": "observation", "value": "18C"},
            {"from": "gpt", "value": "18C."},
        ],
    }
    conversation = parse_one("sharegpt", jsonl(record))
    assert conversation.system_prompt == "Use tools."
    assert conversation.external_id == "data.jsonl:1"
    assert turns(conversation) == [("user", "Weather?"), ("assistant", "18C.")]
    assert conversation.turns[1].blocks == [
        {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris"}},
        {"type": "tool_result", "tool_use_id": "call_1", "content": "18C", "is_error": False},
        {"type": "text", "text": "18C."},
    ]


def test_sharegpt_preference_variant_is_an_explicit_pair() -> None:
    record = {
        "conversations": [{"from": "human", "value": "Q"}],
        "chosen": {"from": "gpt", "value": "Good"},
        "rejected": {"from": "gpt", "value": "Bad"},
    }
    conversation = parse_one("sharegpt", json.dumps([record]).encode(), "pairs.json")
    assert turns(conversation) == [("user", "Q"), ("assistant", "Bad"), ("assistant", "Good")]
    assert conversation.explicit_pairs == [ExplicitPair(rejected=1, chosen=2)]


def test_chatgpt_follows_current_node_and_skips_hidden_tool_and_non_text_messages() -> None:
    def node(
        key: str, parent: str | None, children: list[str], role: str | None, text: str = "", **extra: object
    ) -> dict:
        message = None
        if role is not None:
            message = {
                "author": {"role": role},
                "content": {"content_type": extra.pop("content_type", "text"), "parts": [text]},
                "metadata": extra.pop("metadata", {}),
                **extra,
            }
        return {"id": key, "parent": parent, "children": children, "message": message}

    mapping = {
        "root": node("root", None, ["sys"], None),
        "sys": node(
            "sys", "root", ["u1"], "system", "", metadata={"is_visually_hidden_from_conversation": True}
        ),
        "u1": node("u1", "sys", ["a-old", "a-code"], "user", "Plot this"),
        "a-old": node("a-old", "u1", [], "assistant", "Regenerated away"),
        "a-code": node(
            "a-code", "u1", ["tool"], "assistant", "plt.plot()", content_type="code", recipient="python"
        ),
        "tool": node("tool", "a-code", ["a-new"], "tool", "<image>"),
        "a-new": node("a-new", "tool", ["u2"], "assistant", "Here is the plot."),
        "u2": node("u2", "a-new", ["a2"], "user", "Thanks"),
        "a2": node("a2", "u2", [], "assistant", "Welcome."),
    }
    export = [
        {"title": "Plot", "id": "c1", "mapping": mapping, "current_node": "a2"},
        {"title": "No current node", "conversation_id": "c2", "mapping": mapping},
        {"title": "Broken", "mapping": []},
    ]
    conversations, errors = parse("chatgpt", json.dumps(export).encode(), "conversations.json")
    expected = [
        ("user", "Plot this"),
        ("assistant", "Here is the plot."),
        ("user", "Thanks"),
        ("assistant", "Welcome."),
    ]
    assert [(c.external_id, c.json_path, c.title, turns(c)) for c in conversations] == [
        ("c1", "$[0]", "Plot", expected),
        ("c2", "$[1]", "No current node", expected),
    ]
    assert conversations[0].system_prompt is None
    assert errors_of(errors) == [(None, "$[2]", "mapping: expected an object, got a list")]


PROMPT_MESSAGES = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Q"}]


@pytest.mark.parametrize(
    "record",
    [
        {"prompt": "Q", "chosen": "Good", "rejected": "Bad"},
        {
            "prompt": PROMPT_MESSAGES,
            "chosen": [{"role": "assistant", "content": "Good"}],
            "rejected": [{"role": "assistant", "content": "Bad"}],
        },
        {
            "chosen": [*PROMPT_MESSAGES, {"role": "assistant", "content": "Good"}],
            "rejected": [*PROMPT_MESSAGES, {"role": "assistant", "content": "Bad"}],
        },
        {
            "input": {"messages": PROMPT_MESSAGES, "tools": []},
            "preferred_output": [{"role": "assistant", "content": "Good"}],
            "non_preferred_output": [{"role": "assistant", "content": "Bad"}],
        },
    ],
    ids=["trl-standard", "trl-conversational", "trl-implicit-prompt", "openai-dpo"],
)
def test_preference_shapes(record: dict) -> None:
    for data in (jsonl(record), json.dumps([record]).encode()):
        conversation = parse_one("preference", data)
        assert turns(conversation) == [("user", "Q"), ("assistant", "Bad"), ("assistant", "Good")]
        assert conversation.explicit_pairs == [ExplicitPair(rejected=1, chosen=2)]
        assert conversation.system_prompt == (None if record.get("prompt") == "Q" else "Be kind.")


def test_preference_with_history_and_bad_records() -> None:
    history = {
        "prompt": [
            {"role": "user", "content": "Q1"},
            {"role": "assistant", "content": "A1"},
            {"role": "user", "content": "Q2"},
        ],
        "chosen": "Good",
        "rejected": "Bad",
    }
    bad = [
        {
            "prompt": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
            "chosen": "x",
            "rejected": "y",
        },
        {"prompt": "Q", "chosen": [{"role": "user", "content": "not an answer"}], "rejected": "y"},
        {"prompt": 7, "chosen": "x", "rejected": "y"},
        {"input": {"messages": [USER]}, "preferred_output": 3, "non_preferred_output": []},
    ]
    conversations, errors = parse("preference", jsonl(history, *bad))
    assert conversations[0].explicit_pairs == [ExplicitPair(rejected=3, chosen=4)]
    assert [t.role for t in conversations[0].turns] == ["user", "assistant", "user", "assistant", "assistant"]
    assert errors_of(errors) == [
        (2, None, "prompt: expected to end with a user message"),
        (3, None, "chosen: expected the answer as one assistant message after the prompt, got turns: user"),
        (4, None, "prompt: expected a string or a list of messages, got a number; shapes read: " + SHAPES),
        (
            5,
            None,
            "non_preferred_output: expected the answer as one assistant message after the prompt, got turns: none",
        ),
    ]


MARKDOWN = """# Debugging a flaky test

## System

You are a careful reviewer.

## 👤 User

Why does this fail?

```markdown
## Assistant
User: this is inside a fence
```

---

## 🤖 Claude

Two reasons.

---

A horizontal rule above stays; this line too.

User: quoted in an answer, still text.

---
"""


def test_markdown_headings_fences_and_separators() -> None:
    conversation = parse_one("markdown", MARKDOWN.encode(), "notes/flaky.md")
    assert conversation.title == "Debugging a flaky test"
    assert conversation.external_id == "notes/flaky.md"
    assert conversation.system_prompt == "You are a careful reviewer."
    assert turns(conversation) == [
        ("user", "Why does this fail?\n\n```markdown\n## Assistant\nUser: this is inside a fence\n```"),
        (
            "assistant",
            "Two reasons.\n\n---\n\nA horizontal rule above stays; this line too.\n\n"
            "User: quoted in an answer, still text.",
        ),
    ]


def test_markdown_line_prefixes() -> None:
    text = "Human: First line\nsecond line\n\nAssistant: Answer\n\n    code\n\nUser: More\nClaude: Done"
    conversation = parse_one("markdown", text.encode(), "chat.txt")
    assert conversation.title is None
    assert turns(conversation) == [
        ("user", "First line\nsecond line"),
        ("assistant", "Answer\n\n    code"),
        ("user", "More"),
        ("assistant", "Done"),
    ]


def test_markdown_problems() -> None:
    _, errors = parse("markdown", b"# Just notes\n\nNothing to see.\n", "notes.md")
    assert errors_of(errors) == [(None, None, "no conversation turns")]
    with pytest.raises(FileFormatError, match=r"^not valid UTF-8 at byte 12$"):
        parse("markdown", b"## User\n\nHi \xff\n", "bad.md")
    assert turns(parse_one("markdown", b"\xef\xbb\xbf## User\nHi\n## Assistant\nHello\n", "bom.md")) == [
        ("user", "Hi"),
        ("assistant", "Hello"),
    ]
