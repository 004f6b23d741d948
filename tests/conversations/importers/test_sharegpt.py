"""ShareGPT rows in the shapes training frameworks write (fixtures written by hand from their documentation): turns as
`{role, content}` (Unsloth, Axolotl), shibing624's DPO rows, LLaVA's and LLaMA-Factory's multimodal rows, and rows
that lost an answer or answer no one."""

from __future__ import annotations

import json
from typing import Any

from app.conversations.importers import detect_format
from app.conversations.importers.base import ExplicitPair

from .helpers import errors_of, jsonl, parse, parse_one, turns


def _turns(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"from": speaker, "value": value} for speaker, value in pairs]


def test_turns_written_as_role_and_content_read_as_one_conversation() -> None:
    row = {"conversations": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]}
    for data, name in ((jsonl(row), "train.jsonl"), (json.dumps([row]).encode(), "train.json")):
        assert detect_format(data, name) == "sharegpt"
        assert turns(parse_one("sharegpt", data, name)) == [("user", "Hi?"), ("assistant", "Hello.")]
    # A system message among them is the system prompt, as in OpenAI's messages.
    row["conversations"].insert(0, {"role": "system", "content": "Be brief."})
    assert parse_one("sharegpt", jsonl(row)).system_prompt == "Be brief."
    # A row longer than the head is still known by its keys.
    row["conversations"][1]["content"] = "word " * 20_000
    assert detect_format(jsonl(row)[:65536], "train.jsonl") == "sharegpt"


def test_a_prompt_without_an_answer_is_the_same_error_in_either_shape() -> None:
    data = jsonl(
        {"conversations": [{"role": "user", "content": "Hi?"}]},
        {"conversations": _turns(("human", "Hi?"))},
    )
    assert detect_format(data, "train.jsonl") == "sharegpt"
    conversations, errors = parse("sharegpt", data)
    assert conversations == []
    assert errors_of(errors) == [
        (1, None, "no assistant answer: only the user's messages"),
        (2, None, "no assistant answer: only the user's messages"),
    ]


def test_chosen_gpt_and_rejected_gpt_turns_are_a_stated_pair() -> None:
    row = {"conversations": _turns(("human", "Q?"), ("chosen_gpt", "Good"), ("rejected_gpt", "Bad"))}
    assert detect_format(jsonl(row), "dpo.jsonl") == "sharegpt"
    conversation = parse_one("sharegpt", jsonl(row))
    assert turns(conversation) == [("user", "Q?"), ("assistant", "Bad"), ("assistant", "Good")]
    assert conversation.explicit_pairs == [ExplicitPair(rejected=1, chosen=2)]
    # After earlier exchanges, and in either order.
    row = {
        "conversations": _turns(
            ("human", "Q1"), ("gpt", "A1"), ("human", "Q2"), ("rejected_gpt", "Bad"), ("chosen_gpt", "Good")
        )
    }
    conversation = parse_one("sharegpt", jsonl(row))
    assert turns(conversation)[2:] == [("user", "Q2"), ("assistant", "Bad"), ("assistant", "Good")]
    assert conversation.explicit_pairs == [ExplicitPair(rejected=3, chosen=4)]


def test_stated_answers_that_do_not_make_a_pair_are_errors() -> None:
    data = jsonl(
        {"conversations": _turns(("human", "Q?"), ("chosen_gpt", "Good"))},
        {"conversations": _turns(("human", "Q?"), ("chosen_gpt", "Good"), ("gpt", "A"))},
        {
            "conversations": _turns(
                ("human", "Q?"), ("chosen_gpt", "A"), ("chosen_gpt", "B"), ("rejected_gpt", "C")
            )
        },
        {"conversations": _turns(("chosen_gpt", "Good"), ("rejected_gpt", "Bad"))},
    )
    _, errors = parse("sharegpt", data)
    assert errors_of(errors) == [
        (1, None, "conversations: expected a rejected_gpt turn beside the chosen_gpt one"),
        (2, None, "conversations[1].from: chosen_gpt is read only among the last turns, after the prompt"),
        (3, None, "conversations[2].from: a second chosen_gpt turn"),
        (4, None, "prompt: expected to end with a user message"),
    ]


def test_a_lost_answer_restarts_the_conversation_after_it() -> None:
    row: dict[str, Any] = {
        "conversations": _turns(("human", "Q1"), ("gpt", ""), ("human", "Q2"), ("gpt", "A2"))
    }
    conversation = parse_one("sharegpt", jsonl(row))
    # Q2 would otherwise join Q1 in one turn, and read as a reply to an answer that is missing.
    assert turns(conversation) == [("user", "Q2"), ("assistant", "A2")]
    assert conversation.dropped == {"empty answer": 1}
    row = {
        "system": "Be brief.",
        "conversations": [
            {"from": "human", "value": "Q0"},
            {"from": "gpt", "value": "A0"},
            {"from": "human", "value": "Q1"},
            {"from": "gpt", "value": "  "},
            {"from": "human", "value": "Q2"},
            {"from": "gpt", "value": "A2"},
            {"from": "human", "value": "No, shorter."},
            {"from": "gpt", "value": "A3"},
        ],
    }
    conversation = parse_one("sharegpt", jsonl(row))
    assert turns(conversation) == [
        ("user", "Q2"),
        ("assistant", "A2"),
        ("user", "No, shorter."),
        ("assistant", "A3"),
    ]
    assert (conversation.system_prompt, conversation.dropped) == ("Be brief.", {"empty answer": 1})
    # The same in the role shape; an empty answer the assistant goes on from is no lost answer.
    row = {
        "conversations": [
            {"role": "user", "content": "Q1"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "Q2"},
            {"role": "assistant", "content": "A2"},
        ]
    }
    assert turns(parse_one("sharegpt", jsonl(row))) == [("user", "Q2"), ("assistant", "A2")]
    row = {"conversations": _turns(("human", "Q1"), ("gpt", ""), ("gpt", "A1"))}
    conversation = parse_one("sharegpt", jsonl(row))
    assert (turns(conversation), conversation.dropped) == ([("user", "Q1"), ("assistant", "A1")], {})


def test_a_row_that_answers_no_user_message_is_an_error() -> None:
    data = jsonl(
        {"conversations": _turns(("gpt", "Q?"), ("human", "A."))},
        {"conversations": [{"role": "assistant", "content": "Q?"}, {"role": "user", "content": "A."}]},
    )
    _, errors = parse("sharegpt", data)
    reason = "no user message is answered: the assistant's messages all come before the user's"
    assert errors_of(errors) == [(1, None, reason), (2, None, reason)]


def test_image_placeholders_are_taken_out_and_the_images_counted() -> None:
    row: dict[str, Any] = {
        "conversations": _turns(
            ("human", "Who is he?<image>"), ("gpt", "A chef."), ("human", "<image>\nAnd her?")
        ),
        "images": ["a.jpg", "b.jpg"],
    }
    row["conversations"].append({"from": "gpt", "value": "A pilot."})
    conversation = parse_one("sharegpt", jsonl(row))
    assert turns(conversation) == [
        ("user", "Who is he?"),
        ("assistant", "A chef."),
        ("user", "And her?"),
        ("assistant", "A pilot."),
    ]
    assert conversation.dropped == {"image": 2}
    # LLaVA names its one image `image`; a row listing no media keeps the text as written.
    llava = {
        "image": "coco/1.jpg",
        "conversations": _turns(("human", "<image>\nWhat is this?"), ("gpt", "A bus.")),
    }
    conversation = parse_one("sharegpt", jsonl(llava))
    assert (turns(conversation)[0], conversation.dropped) == (("user", "What is this?"), {"image": 1})
    plain = {
        "conversations": _turns(("human", "What does <image> do in LLaVA?"), ("gpt", "It marks the image."))
    }
    assert turns(parse_one("sharegpt", jsonl(plain)))[0] == ("user", "What does <image> do in LLaVA?")


def test_hermes_tool_calls_results_and_reasoning_are_blocks_not_the_answers_words() -> None:
    call = '<tool_call>\n{"name": "find_train", "arguments": {"from": "Lyon", "to": "Turin"}}\n</tool_call>'
    row = {
        "conversations": [
            {"from": "system", "value": "You may call functions. <tools>[...]</tools>"},
            {"from": "human", "value": "Is there a morning train from Lyon to Turin?"},
            {"from": "gpt", "value": f"<think>Look up the timetable first.</think>\n{call}"},
            {"from": "tool", "value": '<tool_response>\n{"departs": "07:12"}\n</tool_response>'},
            {"from": "gpt", "value": "Yes: one leaves Lyon at 07:12."},
        ]
    }
    (conversation,) = parse("sharegpt", jsonl(row))[0]
    assert turns(conversation) == [
        ("user", "Is there a morning train from Lyon to Turin?"),
        ("assistant", "Yes: one leaves Lyon at 07:12."),
    ]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "Look up the timetable first."},
        {"type": "tool_use", "id": "call_1", "name": "find_train", "input": {"from": "Lyon", "to": "Turin"}},
        {
            "type": "tool_result",
            "tool_use_id": "call_1",
            "content": '{"departs": "07:12"}',
            "is_error": False,
        },
        {"type": "text", "text": "Yes: one leaves Lyon at 07:12."},
    ]


def test_a_stated_answer_holding_its_tool_exchange_inline_keeps_only_its_words() -> None:
    exchange = '<tool_call>\n{"name": "stock", "arguments": {}}\n</tool_call>\n<tool_response>{"left": 3}</tool_response>\n'
    row = {
        "conversations": [{"from": "human", "value": "How many are left?"}],
        "chosen": {"from": "gpt", "value": exchange + "Three are left."},
        "rejected": {"from": "gpt", "value": "Plenty are left."},
    }
    (conversation,) = parse("sharegpt", jsonl(row))[0]
    assert [text for _, text in turns(conversation)] == [
        "How many are left?",
        "Plenty are left.",
        "Three are left.",
    ]


def test_turns_naming_the_speaker_from_but_holding_the_text_as_content() -> None:
    # A real DPO demo file: ShareGPT's `from` with OpenAI's `content` (an error on every row before).
    row = {
        "conversations": [{"from": "user", "content": "Name a prime above 90."}],
        "chosen": {"from": "assistant", "content": "97."},
        "rejected": {"from": "assistant", "content": "91."},
    }
    conversation = parse_one("sharegpt", json.dumps([row]).encode(), "dpo.json")
    assert turns(conversation) == [
        ("user", "Name a prime above 90."),
        ("assistant", "91."),
        ("assistant", "97."),
    ]
    assert conversation.explicit_pairs is not None
    assert len(conversation.explicit_pairs) == 1
