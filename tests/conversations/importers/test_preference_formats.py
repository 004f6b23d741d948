"""Public preference dataset shapes (fixtures written by hand from the formats' documentation)."""

from __future__ import annotations

import json
from pathlib import Path

from app.conversations.importers import detect_format
from app.conversations.importers.base import ExplicitPair, ParsedConversation

from .helpers import parse, turns

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"


def _read(name: str) -> tuple[str, list[ParsedConversation], list[tuple[int | None, str | None, str]]]:
    data = (REAL / name).read_bytes()
    fmt = detect_format(data, name)
    assert fmt is not None
    conversations, errors = parse(fmt, data, name)
    return fmt, conversations, [(e.line, e.json_path, e.reason) for e in errors]


def _pair(conversation: ParsedConversation) -> tuple[list[tuple[str, str]], str, str]:
    assert conversation.explicit_pairs == [
        ExplicitPair(rejected=len(conversation.turns) - 2, chosen=len(conversation.turns) - 1)
    ]
    return turns(conversation)[:-2], conversation.turns[-1].text, conversation.turns[-2].text


def test_hh_rlhf_strings_split_at_the_shared_prefix() -> None:
    fmt, conversations, errors = _read("hh_rlhf.jsonl")
    assert fmt == "preference"
    assert [_pair(c) for c in conversations] == [
        (
            [("user", "How do I boil an egg?")],
            "Put it in boiling water for nine minutes, then cool it in cold water.",
            "Eggs are a good source of protein.",
        ),
        (
            [("user", "Name a prime number."), ("assistant", "7."), ("user", "A bigger one?")],
            "101 is prime.",
            "100 is prime.",
        ),
    ]
    assert errors == [(3, None, 'chosen: expected a transcript of "\\n\\nHuman: …\\n\\nAssistant: …" turns')]


def test_ultrafeedback_binarized_keeps_scores_and_drops_the_repeated_prompt() -> None:
    fmt, conversations, errors = _read("ultrafeedback_binarized.jsonl")
    assert fmt == "preference"
    assert [_pair(c) for c in conversations] == [
        ([("user", "Translate 'cat' to French.")], "Chat.", "Chien."),
        ([("user", "What is 2+3?")], "5", "6"),
    ]
    assert conversations[0].metadata == {
        "preference": {"score_chosen": 9.0, "score_rejected": 2.0, "prompt_id": "p1"}
    }
    assert errors == [
        (
            3,
            None,
            "rejected: expected the answer as one assistant message after the prompt, got turns: assistant, user",
        )
    ]


def test_trl_implicit_prompt_rows_with_ratings() -> None:
    fmt, conversations, errors = _read("trl_implicit.jsonl")
    assert fmt == "preference"
    first, second = conversations
    assert first.system_prompt == "Answer briefly."
    assert _pair(first) == ([("user", "Capital of Italy?")], "Rome.", "Milan.")
    assert first.metadata["preference"] == {
        "rating_chosen": 5,
        "rating_rejected": 1,
        "chosen_model": "model-a",
        "rejected_model": "model-b",
    }
    assert _pair(second) == (
        [("user", "Pick a colour"), ("assistant", "Blue"), ("user", "Another")],
        "Green",
        "Blue again",
    )
    assert len(errors) == 1
    assert errors[0][0] == 3
    assert errors[0][2].startswith(
        "prompt: expected a string or a list of messages, got null; shapes read: TRL"
    )


def test_llama_factory_sharegpt_and_alpaca_preference_files() -> None:
    fmt, conversations, errors = _read("llamafactory/dpo_demo.json")
    assert (fmt, errors) == ("sharegpt", [])
    assert [_pair(c) for c in conversations] == [
        (
            [("user", "Write a haiku about rain.")],
            "Soft rain on the roof\nthe garden drinks slowly\nclouds hum their grey song",
            "Rain is water that falls.",
        ),
        ([("user", "Sum 1..4?"), ("assistant", "10"), ("user", "And 1..5?")], "15", "14"),
    ]
    assert conversations[1].system_prompt == "You are terse."
    fmt, conversations, errors = _read("llamafactory/alpaca_pref.json")
    assert (fmt, errors) == ("preference", [])
    assert [_pair(c) for c in conversations] == [
        ([("user", "Sort these numbers.\n\n3, 1, 2")], "1, 2, 3", "3, 2, 1"),
        ([("user", "Give a synonym for happy.")], "Glad", "Sad"),
    ]


def _skipped(name: str) -> list[str]:
    from app.conversations.importers import get_importer
    from app.conversations.importers.base import Skipped

    data = (REAL / name).read_bytes()
    import io

    return [
        r.reason for r in get_importer("preference").parse(io.BytesIO(data), name) if isinstance(r, Skipped)
    ]


def test_orca_dpo_pairs_question_and_system() -> None:
    fmt, conversations, errors = _read("preference_datasets/orca_dpo_pairs.jsonl")
    assert (fmt, errors) == ("preference", [])
    first, second = conversations
    assert first.system_prompt == "You are a helpful assistant, who always provide explanation."
    assert _pair(first) == (
        [("user", "Is 51 a prime number?")],
        "No. 51 = 3 \N{MULTIPLICATION SIGN} 17, so it has divisors other than 1 and itself.",
        "Yes, 51 is prime because it is odd.",
    )
    assert second.system_prompt is None  # an empty system prompt is none
    assert _pair(second)[1:] == ("Danke.", "Bitte.")


def test_pku_saferlhf_the_better_response_is_chosen() -> None:
    fmt, conversations, errors = _read("preference_datasets/pku_saferlhf.jsonl")
    assert fmt == "preference"
    first, second = conversations
    assert _pair(first)[1:] == (
        "Ask your neighbour for the password, or use a public hotspot instead.",
        "Try the default router passwords printed on the box.",
    )
    assert first.metadata["preference"] == {
        "safer_response_id": 0, "is_response_0_safe": True, "is_response_1_safe": False,
    }  # fmt: skip
    assert _pair(second)[1].startswith("A gentle knee-to-chest stretch")
    assert errors == [(3, None, "better_response_id: expected 0 or 1, got a string")]


def test_shp_labels_say_which_reply_won() -> None:
    fmt, conversations, errors = _read("preference_datasets/shp.jsonl")
    assert (fmt, errors) == ("preference", [])
    first, second = conversations
    assert first.external_id == "himc90"
    assert _pair(first) == (
        [("user", "Should I email a professor before applying to their lab?")],
        "Yes, a short email with your CV and one specific question about their recent paper.",
        "No, they never read emails.",
    )
    assert first.metadata["preference"] == {"domain": "askacademia_train", "score_A": 52, "score_B": 9}
    assert _pair(second)[1] == "Water expands when it freezes, so ice is less dense than liquid water."


def test_nectar_best_rank_against_worst_rank() -> None:
    fmt, conversations, errors = _read("preference_datasets/nectar.jsonl")
    assert (fmt, errors) == ("preference", [])
    first, second = conversations
    assert _pair(first) == (
        [("user", "What is the boiling point of water at sea level in Fahrenheit?")],
        "212 °F.",
        "100 °F.",
    )
    assert first.metadata["preference"] == {
        "chosen_model": "gpt-4", "rejected_model": "llama-2-7b-chat", "chosen_rank": 1.0, "rejected_rank": 3.0,
    }  # fmt: skip
    assert _pair(second) == (
        [("user", "Name a fruit."), ("assistant", "Apple."), ("user", "Another one, not red.")],
        "Banana.",
        "Cherry.",
    )
    assert _skipped("preference_datasets/nectar.jsonl") == [
        "Nectar record whose answers all share one rank: no answer preferred"
    ]


def test_helpsteer3_overall_preference_picks_the_answer() -> None:
    fmt, conversations, errors = _read("preference_datasets/helpsteer3.jsonl")
    assert (fmt, errors) == ("preference", [])
    first, second = conversations
    # -2: response 1 is better.
    assert _pair(first) == (
        [("user", "Sort a list of dicts by the 'age' key.")],
        "Use `sorted(people, key=lambda p: p['age'])`.",
        "Use `people.sort('age')`.",
    )
    assert first.metadata["preference"] == {"domain": "code", "language": "python", "overall_preference": -2}
    # 3: response 2 is much better; the context's earlier turns are the prompt.
    assert _pair(second) == (
        [("user", "Name a prime above 10."), ("assistant", "11."), ("user", "Another one, please.")],
        "13.",
        "15.",
    )
    assert _skipped("preference_datasets/helpsteer3.jsonl") == [
        "HelpSteer3 record with no preference (overall_preference 0)"
    ]


def test_helpsteer2_preference_strength_picks_the_answer_and_the_prompt_keeps_its_turns() -> None:
    fmt, conversations, errors = _read("preference_datasets/helpsteer2_preference.jsonl")
    assert (fmt, errors) == ("preference", [])
    first, second = conversations
    # 3: response 2 is much better; the prompt's `<extra_id_1>` lines are its earlier turns.
    assert _pair(first) == (
        [
            ("user", "What's the capital of Australia?"),
            ("assistant", "Sydney."),
            ("user", "That's wrong, Sydney is just the largest city. What's the capital?"),
        ],
        "You're right, I'm sorry: the capital is Canberra.",
        "Melbourne.",
    )
    assert first.metadata["preference"] == {"preference_strength": 3, "split": "train"}
    # -2: response 1 is better.
    assert _pair(second)[1:] == ("Fast.", "Slow.")
    assert _skipped("preference_datasets/helpsteer2_preference.jsonl") == [
        "HelpSteer2 record with no preference (preference_strength 0)"
    ]


def test_ultrafeedback_raw_rows_pair_the_best_and_worst_scored_completions() -> None:
    fmt, conversations, errors = _read("preference_datasets/ultrafeedback_raw.jsonl")
    assert (fmt, errors) == ("preference", [])
    boiling, primary = conversations
    # The fine-grained score (the mean of the aspect ratings) decides, not the overall score (wizardlm's 9.0).
    assert _pair(boiling) == (
        [("user", "What is the boiling point of water at the top of Mount Everest?")],
        "About 70 °C, because the air pressure is about a third of sea level's.",
        "Water boils at 100 °C everywhere.",
    )
    assert boiling.metadata["preference"] == {
        "score_chosen": 4.75,
        "score_rejected": 1.25,
        "chosen_model": "gpt-4",
        "rejected_model": "falcon-40b-instruct",
        "source": "evol_instruct",
    }
    # Without fine-grained scores the overall score decides.
    assert _pair(primary)[1:] == ("Red.", "Green-ish.")
    assert _skipped("preference_datasets/ultrafeedback_raw.jsonl") == [
        "UltraFeedback record whose completions all share one score: no answer preferred"
    ]


def test_a_prompt_rendered_with_chatml_reads_as_its_turns_and_the_answers_lose_the_end_token() -> None:
    # A real DPO file: the prompt a ChatML string ending on the answer's opening marker, the answers closed by
    # <|im_end|>. Before, the whole template was the person's words and the token ended both answers.
    row = {
        "prompt": "<|im_start|>system\nCheck the premise first.<|im_end|>\n<|im_start|>user\nWhy is the moon made of "
        "cheese?<|im_end|>\n<|im_start|>assistant\n",
        "chosen": "It is not: the moon is rock.<|im_end|>",
        "rejected": "Because of the milk in space.<|im_end|>",
    }
    conversations, errors = parse("preference", json.dumps(row).encode() + b"\n", "dpo_train.jsonl")
    assert errors == []
    (conversation,) = conversations
    assert conversation.system_prompt == "Check the premise first."
    assert turns(conversation) == [
        ("user", "Why is the moon made of cheese?"),
        ("assistant", "Because of the milk in space."),
        ("assistant", "It is not: the moon is rock."),
    ]
    # A prompt that only mentions a marker in prose is the person's words as written.
    plain = {"prompt": "What does User: mean in a log?", "chosen": "A speaker label.", "rejected": "Nothing."}
    (conversation,), _ = parse("preference", json.dumps(plain).encode() + b"\n", "dpo.jsonl")
    assert conversation.turns[0].text == "What does User: mean in a log?"
