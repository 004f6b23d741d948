"""OpenAI `messages` rows as training files hold them (fixtures written by hand): an answer lost between two prompts,
a row that answers no prompt, LLaMA-Factory's multimodal rows."""

from __future__ import annotations

import io
import json
from typing import Any

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped

from .helpers import errors_of, jsonl, parse, parse_one, turns


def _messages(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"role": role, "content": content} for role, content in pairs]


def test_a_lost_answer_restarts_the_conversation_after_it() -> None:
    row = {
        "messages": _messages(
            ("system", "Be brief."),
            ("user", "Q0"),
            ("assistant", "A0"),
            ("user", "Q1"),
            ("assistant", ""),
            ("user", "Q2"),
            ("assistant", "A2"),
        )
    }
    conversation = parse_one("openai", jsonl(row))
    # Q2 would otherwise join Q1 in one turn, and read as a reply to an answer that is missing.
    assert turns(conversation) == [("user", "Q2"), ("assistant", "A2")]
    assert (conversation.system_prompt, conversation.dropped) == ("Be brief.", {"empty answer": 1})
    # An assistant message that only calls a tool is an answer, and so is one whose text comes after it.
    call: dict[str, Any] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "function": {"name": "f"}}],
    }
    row = {
        "messages": [
            *_messages(("user", "Q1")),
            call,
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
            *_messages(("assistant", "It is 42."), ("user", "Q2"), ("assistant", ""), ("assistant", "A2")),
        ]
    }
    conversation = parse_one("openai", jsonl(row))
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    assert conversation.dropped == {}


def test_a_lost_answer_in_a_bare_message_array() -> None:
    messages = _messages(("user", "Q1"), ("assistant", " "), ("user", "Q2"), ("assistant", "A2"))
    conversation = parse_one("openai", json.dumps(messages).encode(), "chat.json")
    assert (turns(conversation), conversation.dropped) == (
        [("user", "Q2"), ("assistant", "A2")],
        {"empty answer": 1},
    )


def test_a_row_that_answers_no_user_message_is_an_error() -> None:
    data = jsonl(
        {"messages": _messages(("assistant", "Q?"), ("user", "A."))},
        {"messages": _messages(("user", "Hi?"), ("assistant", "Hello."))},
    )
    conversations, errors = parse("openai", data)
    assert [c.line for c in conversations] == [2]
    assert errors_of(errors) == [
        (1, None, "no user message is answered: the assistant's messages all come before the user's")
    ]
    # A bare message array of the same is skipped, as one without a prompt and an answer is.
    array = json.dumps(_messages(("assistant", "Q?"), ("user", "A."))).encode()
    assert list(get_importer("openai").parse(io.BytesIO(array), "chat.json")) == [
        Skipped("message list without a prompt and an answer")
    ]


def test_media_placeholders_are_taken_out_and_the_media_counted() -> None:
    row = {
        "messages": _messages(
            ("user", "<image>Who are they?"),
            ("assistant", "Two players."),
            ("user", "What are they doing?<video>"),
            ("assistant", "Playing."),
        ),
        "images": ["demo/1.jpg"],
        "videos": ["demo/1.mp4"],
    }
    conversation = parse_one("openai", jsonl(row))
    assert turns(conversation) == [
        ("user", "Who are they?"),
        ("assistant", "Two players."),
        ("user", "What are they doing?"),
        ("assistant", "Playing."),
    ]
    assert conversation.dropped == {"image": 1, "video": 1}
    # The answer's text is the model's: left as written.
    row = {
        "messages": _messages(("user", "<image>Tag?"), ("assistant", "Write <image> here.")),
        "images": ["a"],
    }
    assert turns(parse_one("openai", jsonl(row)))[1] == ("assistant", "Write <image> here.")


def test_rows_of_other_training_shapes_in_a_messages_file_are_read_by_their_shape() -> None:
    data = jsonl(
        {"messages": _messages(("user", "Hi?"), ("assistant", "Hello."))},
        {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5"},
        {"conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A."}]},
        {"prompt": "Say yes.", "completion": "Yes."},
        {"note": "not a conversation"},
    )
    assert detect_format(data, "mixed.jsonl") == "openai"
    conversations, errors = parse("openai", data, "mixed.jsonl")
    assert [(c.line, c.external_id, turns(c)[0]) for c in conversations] == [
        (1, "mixed.jsonl:1", ("user", "Hi?")),
        (2, "mixed.jsonl:2", ("user", "Add the numbers.\n\n2 and 3")),
        (3, "mixed.jsonl:3", ("user", "Q?")),
        (4, "mixed.jsonl:4", ("user", "Say yes.")),
    ]
    assert errors_of(errors) == [(5, None, "messages: expected a list, got null")]
    # A file none of whose rows has the reader's shape (a format forced on it) is refused row by row.
    _, errors = parse("sharegpt", jsonl({"messages": _messages(("user", "Hi?"), ("assistant", "Hello."))}))
    assert errors_of(errors) == [(1, None, "conversations: expected a list, got null")]
    # The other way round too: a messages row in an Alpaca file.
    alpaca_first = jsonl(
        {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5"},
        {"messages": _messages(("user", "Hi?"), ("assistant", "Hello."))},
    )
    assert detect_format(alpaca_first, "mixed.jsonl") == "sft-dataset"
    conversations, errors = parse("sft-dataset", alpaca_first, "mixed.jsonl")
    assert ([turns(c)[0] for c in conversations], errors) == (
        [("user", "Add the numbers.\n\n2 and 3"), ("user", "Hi?")],
        [],
    )


def test_a_chatbot_servers_log_of_messages_in_and_out_is_one_chat_per_conversation_id() -> None:
    """JSON Lines a chatbot's server appends, one message a line: `direction` "in" is the person's, "out" the
    answer, `convId` the chat (eighth fetch: matched no format)."""
    data = jsonl(
        {"convId": "FRM-1", "ts": "2026-08-24T21:34:50Z", "direction": "in", "text": "Merhaba"},
        {
            "convId": "FRM-1",
            "ts": "2026-08-24T21:34:52Z",
            "direction": "out",
            "text": "Merhaba! Nasil yardimci olabilirim?",
        },
        {
            "convId": "FRM-2",
            "ts": "2026-08-25T08:00:00Z",
            "direction": "in",
            "text": "aksam yemegini kacirdim",
        },
        {
            "convId": "FRM-2",
            "ts": "2026-08-25T08:00:02Z",
            "direction": "out",
            "text": "Ne oldu, nasil bir gun gecirdin?",
        },
    )
    assert detect_format(data, "conversations.jsonl") == "openai"
    chats, errors = parse("openai", data, "conversations.jsonl")
    assert errors == []
    assert [turns(chat) for chat in chats] == [
        [("user", "Merhaba"), ("assistant", "Merhaba! Nasil yardimci olabilirim?")],
        [("user", "aksam yemegini kacirdim"), ("assistant", "Ne oldu, nasil bir gun gecirdin?")],
    ]
