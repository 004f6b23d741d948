"""Public instruction and chat datasets that are neither OpenAI messages nor ShareGPT turns (fixtures written by
hand from the dataset cards and the frameworks' documentation): UltraChat, Capybara, Dolly, HelpSteer2, Alpaca,
ms-swift's query-response rows, TRL's and mlx-lm's prompt-completion rows."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "sft_datasets"


def _results(name: str) -> list[object]:
    data = (ROOT / name).read_bytes()
    assert detect_format(data[:65536], name) == "sft-dataset"
    return list(get_importer("sft-dataset").parse(io.BytesIO(data), name))


def test_ultrachat_texts_alternate_from_the_user() -> None:
    first, second, unanswered = _results("ultrachat.jsonl")
    assert isinstance(first, ParsedConversation)
    assert first.external_id == "0"
    assert [role for role, _ in turns(first)] == ["user", "assistant", "user", "assistant"]
    assert turns(first)[2] == ("user", "mine is on a north window and it's dying")
    assert isinstance(second, ParsedConversation)
    assert unanswered == Skipped("dataset row without an answer")


def test_capybara_inputs_and_outputs() -> None:
    first, second, broken = _results("capybara.jsonl")
    assert isinstance(first, ParsedConversation)
    assert first.metadata == {"source": "Know-Logic"}
    assert turns(first)[2:] == [
        ("user", "that's wrong, 14 squared is 196"),
        ("assistant", "You're right, I made a mistake: the square root of 144 is 12."),
    ]
    assert isinstance(second, ParsedConversation)
    assert isinstance(broken, RecordError)
    assert (broken.line, broken.reason) == (3, "conversation[0].input: expected a string, got a number")


def test_dolly_context_follows_the_instruction() -> None:
    first, second = _results("databricks-dolly-15k.jsonl")
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert turns(first)[0] == (
        "user",
        "When did Virgin Australia start operating?\n\nVirgin Australia commenced services on 31 August 2000 as "
        "Virgin Blue, with two aircraft on a single route.",
    )
    assert first.metadata == {"category": "closed_qa"}
    assert turns(second) == [("user", "Which is a species of fish? Tope or Rope"), ("assistant", "Tope")]


def test_helpsteer_ratings_are_metadata() -> None:
    (row,) = _results("helpsteer2.jsonl")
    assert isinstance(row, ParsedConversation)
    assert row.metadata == {
        "helpsteer": {"helpfulness": 4, "correctness": 4, "coherence": 4, "complexity": 1, "verbosity": 1}
    }


def test_other_shapes_are_not_taken_for_it() -> None:
    messages = {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}
    assert detect_format(json.dumps(messages).encode() + b"\n", "x.jsonl") == "openai"
    pref = {"instruction": "Sort.", "chosen": "1 2 3", "rejected": "3 2 1"}
    assert detect_format(json.dumps(pref).encode() + b"\n", "pref.jsonl") == "preference"


def test_import_finds_the_pushbacks_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="datasets", workers=0)
    assert (summary.conversations_added, summary.error_count, summary.pairs_detected) == (8 + 8, 1, 3 + 3)
    assert run_import(engine, paths=[ROOT], source="datasets", workers=0).conversations_added == 0


def test_a_helpsteer2_prompt_holding_earlier_turns_is_read_as_them() -> None:
    (row,) = _results("helpsteer2_multiturn.jsonl")
    assert isinstance(row, ParsedConversation)
    assert turns(row) == [
        ("user", "Convert 5 km to miles."),
        ("assistant", "About 8 miles."),
        ("user", "That's wrong, it's the other way round: 5 km is less than 5 miles."),
        ("assistant", "You're right: 5 km is about 3.1 miles."),
    ]


def test_alpaca_rows_read_the_instruction_then_the_input_as_the_prompt() -> None:
    converted, named, unanswered, tutor = _results("alpaca.jsonl")
    assert isinstance(converted, ParsedConversation)
    # The instruction is the task: it stays in the prompt, not in the system prompt.
    assert turns(converted) == [
        ("user", "Convert the temperature to Fahrenheit.\n\n25 degrees Celsius"),
        ("assistant", "25 degrees Celsius is 77 degrees Fahrenheit."),
    ]
    assert (converted.system_prompt, converted.external_id) == (None, "alpaca.jsonl:1")
    assert isinstance(named, ParsedConversation)
    assert turns(named)[0] == ("user", "Name three primary colours.")
    assert unanswered == Skipped("dataset row without an answer")
    # LLaMA-Factory's `system` and `history`.
    assert isinstance(tutor, ParsedConversation)
    assert tutor.system_prompt == "You are a careful maths tutor."
    assert [role for role, _ in turns(tutor)] == ["user", "assistant"] * 3
    assert turns(tutor)[4] == ("user", "Then what is 15% of 80?")


def test_an_alpaca_json_array_is_a_dataset_not_anythingllm() -> None:
    rows = [{"instruction": "Sort these numbers.", "input": "3 1 2", "output": "1 2 3"}]
    data = json.dumps(rows, indent=2).encode()
    assert detect_format(data, "alpaca_data.json") == "sft-dataset"
    assert turns(parse_one("sft-dataset", data, "alpaca_data.json"))[0] == (
        "user",
        "Sort these numbers.\n\n3 1 2",
    )
    # A first row longer than the head is still known by its keys.
    rows[0]["output"] = "word " * 20_000
    for data in (json.dumps(rows).encode(), jsonl(*rows)):
        assert detect_format(data[:65536], "alpaca_data.json") == "sft-dataset"


def test_ms_swift_query_response_rows() -> None:
    australia, spider = _results("ms_swift.jsonl")
    assert isinstance(australia, ParsedConversation)
    assert isinstance(spider, ParsedConversation)
    assert australia.system_prompt == "You answer in one sentence."
    assert turns(australia) == [
        ("user", "What is the capital of Australia?"),
        ("assistant", "The capital of Australia is Sydney."),
        ("user", "No, I meant the capital of Australia, not its largest city."),
        ("assistant", "The capital of Australia is Canberra."),
    ]
    assert turns(spider) == [
        ("user", "How many legs does a spider have?"),
        ("assistant", "A spider has eight legs."),
    ]


def test_prompt_completion_rows_as_strings_and_as_messages() -> None:
    german, mercury, kto = _results("prompt_completion.jsonl")
    assert isinstance(german, ParsedConversation)
    assert turns(german) == [("user", "Translate to German: good night"), ("assistant", "Gute Nacht")]
    assert isinstance(mercury, ParsedConversation)
    assert mercury.system_prompt == "Reply tersely."
    assert turns(mercury)[2:] == [
        ("user", "Are you sure? I think it's Mercury."),
        ("assistant", "You're right: Mercury is the closest planet to the sun."),
    ]
    # TRL's unpaired preference rows (KTO) say whether the completion is a good one.
    assert isinstance(kto, ParsedConversation)
    assert kto.metadata == {"label": False}


def test_rows_of_the_new_shapes_that_cannot_be_read() -> None:
    data = jsonl(
        {"prompt": "Q", "completion": [{"role": "user", "content": "Not an answer."}]},
        {"prompt": "Q", "completion": 7},
        {"prompt": "Q", "completion": [{"role": "assistant", "content": ""}]},
        {"query": "Q", "response": "A", "history": [["only a prompt"]]},
        {"instruction": ["Q"], "output": "A"},
    )
    conversations, errors = parse("sft-dataset", data)
    assert conversations == []
    assert errors_of(errors) == [
        (1, None, "completion[0]: expected the assistant's message, got a user message"),
        (2, None, "completion: expected a string, got a number"),
        (4, None, "history[0]: expected a [prompt, answer] pair of strings"),
        (5, None, "instruction: expected a string, got a list"),
    ]


def test_a_lost_answer_in_the_history_restarts_the_conversation() -> None:
    row = {"instruction": "Q2", "output": "A2", "history": [["Q0", "A0"], ["Q1", ""]]}
    conversation = parse_one("sft-dataset", jsonl(row))
    assert turns(conversation) == [("user", "Q2"), ("assistant", "A2")]
    assert conversation.dropped == {"empty answer": 1}


def test_media_placeholders_are_taken_out_of_the_prompt() -> None:
    row = {"instruction": "<image>What is in the picture?", "output": "A cat.", "images": ["cat.png"]}
    conversation = parse_one("sft-dataset", jsonl(row))
    assert (turns(conversation)[0], conversation.dropped) == (
        ("user", "What is in the picture?"),
        {"image": 1},
    )


def test_glaive_function_calling_rows_read_their_calls_and_responses() -> None:
    row = {
        "system": 'SYSTEM: You can call functions -\n{"name": "convert_currency", "parameters": {}}',
        "chat": (
            "USER: How much is 50 euros in yen?\n\n\nASSISTANT: <functioncall> "
            '{"name": "convert_currency", "arguments": \'{"amount": 50, "from": "EUR", "to": "JPY"}\'} '
            '<|endoftext|>\n\n\nFUNCTION RESPONSE: {"converted": 8125}\n\n\n'
            "ASSISTANT: 50 euros are about 8,125 yen. <|endoftext|>\n\n\nUSER: thanks\n\n\n"
            "ASSISTANT: You're welcome! <|endoftext|>\n\n\n"
        ),
    }
    data = jsonl(row)
    assert detect_format(data, "glaive.jsonl") == "sft-dataset"
    conversation = parse_one("sft-dataset", data)
    assert (
        conversation.system_prompt
        == 'You can call functions -\n{"name": "convert_currency", "parameters": {}}'
    )
    assert turns(conversation) == [
        ("user", "How much is 50 euros in yen?"),
        ("assistant", "50 euros are about 8,125 yen."),
        ("user", "thanks"),
        ("assistant", "You're welcome!"),
    ]
    call, result, _ = conversation.turns[1].blocks or []
    assert call["name"] == "convert_currency"
    assert call["input"] == {"amount": 50, "from": "EUR", "to": "JPY"}
    assert result["content"] == '{"converted": 8125}'


def test_an_exchange_a_script_logged_is_one_conversation() -> None:
    # Two real logs: `{prompt, response}` (a reasoning model's answer opening with <think>) and `{user, assistant}`
    # with the call's settings beside them. Both matched no known format before.
    data = json.dumps(
        [
            {
                "prompt": "Pun about owls?",
                "response": "<think>\nsomething with 'whooo'\n</think>\n\nOwl be seeing you.",
            }
        ]
    ).encode()
    assert detect_format(data, "conversation_history.json") == "sft-dataset"
    conversation = parse_one("sft-dataset", data, "conversation_history.json")
    assert turns(conversation) == [("user", "Pun about owls?"), ("assistant", "Owl be seeing you.")]
    assert conversation.turns[1].blocks == [
        {"type": "thinking", "thinking": "something with 'whooo'"},
        {"type": "text", "text": "Owl be seeing you."},
    ]
    logged = jsonl(
        {
            "timestamp_utc": "2026-06-27T09:05:39Z",
            "model": "qwen2.5:0.5b",
            "temperature": 0.3,
            "user": "2+2?",
            "assistant": "4",
        },
        {
            "timestamp_utc": "2026-06-27T09:06:01Z",
            "model": "qwen2.5:0.5b",
            "temperature": 0.3,
            "user": "3+5?",
            "assistant": "8",
        },
    )
    assert detect_format(logged, "chat_history.jsonl") == "sft-dataset"
    conversations, errors = parse("sft-dataset", logged, "chat_history.jsonl")
    assert errors == []
    assert [turns(c) for c in conversations] == [
        [("user", "2+2?"), ("assistant", "4")],
        [("user", "3+5?"), ("assistant", "8")],
    ]
    assert conversations[0].metadata == {"model": "qwen2.5:0.5b"}
    # A preference row with the same keys stays the preference reader's.
    preference = jsonl({"prompt": "2+2?", "response": "4", "chosen": "4", "rejected": "5"})
    assert detect_format(preference, "p.jsonl") != "sft-dataset"
