"""Fine-tuning rows holding a conversation rendered with a chat template as one `text` (fixtures written by hand
from each template's documented shape): ChatML, Llama 3, Gemma, Mistral / Llama 2, Zephyr, DeepSeek, Vicuna,
Guanaco, Alpaca and plain `Human:` / `Assistant:` speakers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, parse_one, turns

CHATML = (
    "<|im_start|>system\nYou answer in one sentence.<|im_end|>\n"
    "<|im_start|>user\nHow far is the Moon?<|im_end|>\n"
    "<|im_start|>assistant\nAbout 384,000 km on average.<|im_end|>\n"
    "<|im_start|>user\nThat's wrong, it's 38,000 km.<|im_end|>\n"
    "<|im_start|>assistant\nNo: the average distance is about 384,400 km.<|im_end|>\n"
)
LLAMA_3 = (
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nName a prime above 10.<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n11<|eot_id|>"
)
GEMMA = (
    "<bos><start_of_turn>user\nTranslate 'cat' into French.<end_of_turn>\n"
    "<start_of_turn>model\nchat<end_of_turn>\n"
)
SPOKEN = [("user", "Name a prime above 10."), ("assistant", "11")]


def _results(data: bytes, name: str = "train.jsonl") -> list[object]:
    assert detect_format(data[:65536], name) == "chat-template"
    return list(get_importer("chat-template").parse(io.BytesIO(data), name))


def test_chatml_blocks_are_the_system_prompt_and_the_turns() -> None:
    data = jsonl({"id": "row-7", "source": "moon-facts", "text": CHATML})
    (conversation,) = _results(data)
    assert isinstance(conversation, ParsedConversation)
    assert conversation.external_id == "row-7"
    assert conversation.system_prompt == "You answer in one sentence."
    assert turns(conversation) == [
        ("user", "How far is the Moon?"),
        ("assistant", "About 384,000 km on average."),
        ("user", "That's wrong, it's 38,000 km."),
        ("assistant", "No: the average distance is about 384,400 km."),
    ]
    assert conversation.title == "How far is the Moon?"
    assert conversation.metadata == {"template": "chatml", "source": "moon-facts"}
    assert conversation.line == 1


@pytest.mark.parametrize(
    ("text", "template", "system", "expected"),
    [
        (LLAMA_3, "llama-3", "You are terse.", SPOKEN),
        (GEMMA, "gemma", None, [("user", "Translate 'cat' into French."), ("assistant", "chat")]),
        (
            "<|im_start|>system<|im_sep|>Be brief.<|im_end|><|im_start|>user<|im_sep|>Name a prime above 10.<|im_end|>"
            "<|im_start|>assistant<|im_sep|>11<|im_end|>",
            "chatml",
            "Be brief.",
            SPOKEN,
        ),
        (
            "<s>[INST] Name a prime above 10. [/INST] 11</s>[INST] And one above 20? [/INST] 23</s>",
            "mistral",
            None,
            [*SPOKEN, ("user", "And one above 20?"), ("assistant", "23")],
        ),
        (
            "<s>[INST] <<SYS>>\nAnswer with a number.\n<</SYS>>\n\nName a prime above 10. [/INST] 11 </s>"
            "<s>[INST] And one above 20? [/INST] 23 </s>",
            "mistral",
            "Answer with a number.",
            [*SPOKEN, ("user", "And one above 20?"), ("assistant", "23")],
        ),
        (
            "<s>[SYSTEM_PROMPT]Answer with a number.[/SYSTEM_PROMPT][INST]Name a prime above 10.[/INST]11</s>",
            "mistral",
            "Answer with a number.",
            SPOKEN,
        ),
        (
            "<|system|>\nBe brief.</s>\n<|user|>\nName a prime above 10.</s>\n<|assistant|>\n11</s>\n",
            "zephyr",
            "Be brief.",
            SPOKEN,
        ),
        (
            "<|user|>\nName a prime above 10.<|end|>\n<|assistant|>\n11<|end|>\n<|endoftext|>",
            "zephyr",
            None,
            SPOKEN,
        ),
        (
            "<\uff5cbegin\u2581of\u2581sentence\uff5c>Be brief.<\uff5cUser\uff5c>Name a prime above 10."
            "<\uff5cAssistant\uff5c>11<\uff5cend\u2581of\u2581sentence\uff5c>",
            "deepseek",
            "Be brief.",
            SPOKEN,
        ),
        (
            "A chat between a curious user and an assistant. USER: Name a prime above 10. ASSISTANT: 11</s>"
            "USER: And one above 20? ASSISTANT: 23</s>",
            "vicuna",
            "A chat between a curious user and an assistant.",
            [*SPOKEN, ("user", "And one above 20?"), ("assistant", "23")],
        ),
        ("SYSTEM: Be brief.\nUSER: Name a prime above 10.\nASSISTANT: 11</s>", "vicuna", "Be brief.", SPOKEN),
        ("### Human: Name a prime above 10. ### Assistant: 11", "guanaco", None, SPOKEN),
        (
            "Below is an instruction that describes a task.\n\n### Instruction:\nSort the numbers.\n\n"
            "### Input:\n3 1 2\n\n### Response:\n1 2 3",
            "alpaca",
            "Below is an instruction that describes a task.",
            [("user", "Sort the numbers.\n\n3 1 2"), ("assistant", "1 2 3")],
        ),
        (
            "### Instruction:\nName a prime above 10.\n\n### Input:\n\n\n### Response:\n11",
            "alpaca",
            None,
            SPOKEN,
        ),
        (
            "\n\nHuman: Name a prime above 10.\n\nAssistant: 11\n\nHuman: And one above 20?\n\nAssistant: 23",
            "plain",
            None,
            [*SPOKEN, ("user", "And one above 20?"), ("assistant", "23")],
        ),
        ("User: Name a prime above 10.\nAssistant: 11", "plain", None, SPOKEN),
    ],
)
def test_each_template_reads_as_its_turns(
    text: str, template: str, system: str | None, expected: list[tuple[str, str]]
) -> None:
    (conversation,) = _results(jsonl({"text": text}))
    assert isinstance(conversation, ParsedConversation)
    assert (conversation.metadata["template"], conversation.system_prompt) == (template, system)
    assert turns(conversation) == expected
    assert conversation.external_id == "train.jsonl:1"


@pytest.mark.parametrize("tag", ["think", "thinking"])
def test_reasoning_at_the_start_of_an_answer_is_a_thinking_block(tag: str) -> None:
    text = (
        "<|im_start|>user\nIs 91 prime?<|im_end|>\n"
        f"<|im_start|>assistant\n<{tag}>\n91 = 7 * 13.\n</{tag}>\n\nNo, 91 is 7 times 13.<|im_end|>\n"
    )
    conversation = parse_one("chat-template", jsonl({"text": text}))
    answer = conversation.turns[1]
    assert answer.text == "No, 91 is 7 times 13."
    assert answer.blocks == [
        {"type": "thinking", "thinking": "91 = 7 * 13."},
        {"type": "text", "text": "No, 91 is 7 times 13."},
    ]


def test_a_tool_block_is_a_tool_result_of_the_answer() -> None:
    text = (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWeather in Oslo?<|eot_id|>"
        '<|start_header_id|>assistant<|end_header_id|>\n\n<|python_tag|>{"name": "weather"}<|eom_id|>'
        "<|start_header_id|>ipython<|end_header_id|>\n\n-3C, snow<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nIt is snowing, -3C.<|eot_id|>"
    )
    conversation = parse_one("chat-template", jsonl({"text": text}))
    assert [turn.role for turn in conversation.turns] == ["user", "assistant"]
    assert conversation.turns[1].blocks == [
        {"type": "text", "text": '{"name": "weather"}'},
        {"type": "tool_result", "tool_use_id": None, "content": "-3C, snow", "is_error": False},
        {"type": "text", "text": "It is snowing, -3C."},
    ]


def test_a_text_escaped_twice_is_unescaped() -> None:
    (conversation,) = _results(jsonl({"text": CHATML.replace("\n", "\\n")}))
    assert isinstance(conversation, ParsedConversation)
    assert conversation.system_prompt == "You answer in one sentence."
    assert turns(conversation)[2] == ("user", "That's wrong, it's 38,000 km.")
    # Its other escapes are read too; with a bare quote in it, its line breaks alone.
    quoted = LLAMA_3.replace("\n", "\\n").replace("terse.", 'terse: say \\"11\\".')
    (conversation,) = _results(jsonl({"text": quoted}))
    assert isinstance(conversation, ParsedConversation)
    assert conversation.system_prompt == 'You are terse: say "11".'
    assert turns(conversation) == SPOKEN
    bare = LLAMA_3.replace("\n", "\\n").replace("terse.", 'terse: say "11".')
    (conversation,) = _results(jsonl({"text": bare}))
    assert isinstance(conversation, ParsedConversation)
    assert conversation.system_prompt == 'You are terse: say "11".'


def test_a_literal_backslash_n_inside_a_one_line_text_is_kept() -> None:
    text = '<s>[INST] What does print("a\\nb") show? [/INST] a and b on two lines</s>'
    conversation = parse_one("chat-template", jsonl({"text": text}))
    assert turns(conversation)[0] == ("user", 'What does print("a\\nb") show?')


def test_a_json_array_of_rows() -> None:
    data = json.dumps([{"text": LLAMA_3, "id": 1}, {"text": GEMMA, "id": 2}]).encode()
    first, second = _results(data, "train.json")
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert (first.external_id, first.json_path, second.external_id) == ("1", "$[0]", "2")


def test_a_first_row_longer_than_the_head_is_still_recognised() -> None:
    long_answer = "The sieve crosses out multiples. " * 4000
    text = f"<|im_start|>user\nExplain the sieve.<|im_end|>\n<|im_start|>assistant\n{long_answer}<|im_end|>"
    data = jsonl({"text": text, "id": "long"}, {"text": GEMMA})
    assert len(data) > 65536
    first, second = _results(data)
    assert isinstance(first, ParsedConversation)
    assert turns(first)[1] == ("assistant", long_answer.strip())
    assert isinstance(second, ParsedConversation)
    # Escaped twice, with an emoji escaped once (half a surrogate pair is no marker).
    twice = text.replace("\n", "\\n").replace("Explain", "\U0001f600 Explain")
    assert detect_format(jsonl({"text": twice})[:65536], "train.jsonl") == "chat-template"
    # The array's first item too, and not a row that has another conversation field.
    assert detect_format(json.dumps([{"text": text}]).encode()[:65536], "train.json") == "chat-template"
    other = json.dumps({"messages": [], "text": text}).encode()
    assert detect_format(other[:65536], "train.jsonl") != "chat-template"


def test_prose_is_not_a_conversation() -> None:
    documents = jsonl(
        {"text": "The Moon orbits the Earth at about 384,400 km.\nIts surface is covered in craters."},
        {"text": "Assistant: a person who helps another.\nUser: a person who uses something."},
    )
    assert detect_format(documents, "pretrain.jsonl") is None
    # A document quoting a template mid-text, or naming speakers only in passing, is no chat either.
    quoting = jsonl(
        {"text": "ChatML writes turns as <|im_start|>user\nHi<|im_end|><|im_start|>assistant\nHello"}
    )
    assert detect_format(quoting, "pretrain.jsonl") is None
    passing = jsonl({"text": "Notes.\nHuman: hello\nAssistant: hi"})
    assert detect_format(passing, "pretrain.jsonl") is None
    # In a file of chats, a prose row is skipped with its reason.
    mixed = jsonl({"text": LLAMA_3}, {"text": "Just a paragraph about primes."})
    assert _results(mixed)[1] == Skipped("text without a chat template (a document, not a conversation)")


def test_a_prompt_without_answer_is_an_error_naming_the_line() -> None:
    unanswered = "<|im_start|>user\nName a prime above 10.<|im_end|>\n<|im_start|>assistant\n"
    data = jsonl({"text": LLAMA_3}, {"text": unanswered}, {"text": 42}, {"text": "[INST] Hi [/INST]</s>"})
    conversations, errors = parse("chat-template", data)
    assert len(conversations) == 1
    assert errors_of(errors) == [
        (2, None, "text: the chatml template holds no answer, only the prompt"),
        (3, None, "text: expected a string, got a number"),
        (4, None, "text: the mistral template holds no answer, only the prompt"),
    ]
    # A file whose rows are all unanswered prompts is still recognised, so that the reason is told.
    assert detect_format(jsonl({"text": unanswered}), "prompts.jsonl") == "chat-template"


def test_an_unknown_speaker_is_an_error() -> None:
    text = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>narrator\nMeanwhile<|im_end|>\n<|im_start|>assistant\nHello"
    _, errors = parse("chat-template", jsonl({"text": text}))
    assert errors_of(errors) == [(1, None, "text: unknown speaker 'narrator' in the chatml template")]


def test_other_formats_keep_their_reader() -> None:
    messages = [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]
    assert detect_format(jsonl({"messages": messages, "text": CHATML}), "x.jsonl") == "openai"
    assert detect_format(
        jsonl({"prompt": "Q", "chosen": "A", "rejected": "B", "text": CHATML}), "x.jsonl"
    ) == ("preference")
    only_user = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>user\nHello?<|im_end|>\n"
    assert detect_format(jsonl({"text": only_user}), "x.jsonl") is None


def test_three_templates_import_as_three_conversations(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "mixed.jsonl").write_bytes(jsonl({"text": CHATML}, {"text": LLAMA_3}, {"text": GEMMA}))
    summary = run_import(engine, paths=[tmp_path / "mixed.jsonl"], source="sft", workers=0)
    assert (summary.conversations_added, summary.error_count, sum(summary.skipped.values())) == (3, 0, 0)
