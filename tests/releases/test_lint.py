"""The lint report: each cookbook format error, tokens with the real encoding, limits, duplicates, cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpe_openai
import orjson
import pytest
from sqlalchemy import Engine

from app.db import session_scope
from app.releases.export.dataset import export_file
from app.releases.export.lint import Linter, LintReport, estimate_epochs
from app.releases.export.rows import DpoStyle, RowOptions
from app.releases.export.split import prompt_group
from app.releases.export.tokens import TokenCounter, encoding_name, token_limit, training_price
from app.releases.models import ReleaseFormat, ReleaseKind
from tests.releases.factories import add_many, add_pair
from tests.releases.openai_validator import assert_valid, validate_file

SFT = RowOptions(kind=ReleaseKind.sft, format=ReleaseFormat.openai)
DPO = RowOptions(kind=ReleaseKind.dpo, format=ReleaseFormat.openai)
USER = {"role": "user", "content": "hi"}
ASSISTANT = {"role": "assistant", "content": "hello"}


def _lint(rows: list[Any], options: RowOptions = SFT, model: str | None = None) -> LintReport:
    linter = Linter(options=options, model=model)
    for line, row in enumerate(rows, start=1):
        linter.add(
            split="train", line=line, pair_id=line, row=row, prompt=[USER], chosen=f"chosen {line}",
            rejected=f"rejected {line}", group=prompt_group([{"role": "user", "content": str(line)}]),
        )  # fmt: skip
    return linter.report()


GOOD = {"messages": [USER, ASSISTANT]}


@pytest.mark.parametrize(
    ("code", "row"),
    [
        ("data_type", "not an object"),
        ("data_type", {"messages": ["not an object", ASSISTANT]}),
        ("missing_messages_list", {"messages": []}),
        ("missing_messages_list", {"conversation": [USER, ASSISTANT]}),
        ("message_missing_key", {"messages": [{"role": "user"}, ASSISTANT]}),
        ("message_unrecognized_key", {"messages": [{**USER, "speaker": "me"}, ASSISTANT]}),
        ("unrecognized_role", {"messages": [{"role": "human", "content": "hi"}, ASSISTANT]}),
        ("missing_content", {"messages": [{"role": "user", "content": ""}, ASSISTANT]}),
        ("missing_content", {"messages": [{"role": "user", "content": ["block"]}, ASSISTANT]}),
        ("example_missing_assistant_message", {"messages": [USER]}),
    ],
)
def test_each_cookbook_format_error_is_counted(code: str, row: Any) -> None:
    report = _lint([GOOD] * 10 + [row])
    assert report.format_errors[code] >= 1
    assert sum(report.format_errors.values()) >= 1
    issue = next(i for i in report.issues if i.code == code)
    assert issue.severity == "error"
    assert issue.examples[0]["line"] == 11
    assert issue.examples[0]["pair_id"] == 11
    assert report.has_errors


def test_good_rows_have_no_format_errors() -> None:
    report = _lint([GOOD] * 12)
    assert report.format_errors == dict.fromkeys(report.format_errors, 0)
    assert not report.has_errors
    assert report.issues == []


@pytest.mark.parametrize(
    ("code", "row"),
    [
        ("missing_messages_list", {"input": {}, "preferred_output": [ASSISTANT], "non_preferred_output": [ASSISTANT]}),
        ("data_type", ["input"]),
        ("example_missing_assistant_message", {"input": {"messages": [USER]}, "preferred_output": [],
                                               "non_preferred_output": [ASSISTANT]}),
        ("example_missing_assistant_message", {"input": {"messages": [USER]}, "preferred_output": [USER],
                                               "non_preferred_output": [ASSISTANT]}),
        ("missing_content", {"input": {"messages": [USER]}, "preferred_output": [ASSISTANT],
                             "non_preferred_output": [{"role": "assistant", "content": ""}]}),
    ],
)  # fmt: skip
def test_dpo_openai_rows_are_checked_on_input_and_outputs(code: str, row: Any) -> None:
    good = {
        "input": {"messages": [USER]},
        "preferred_output": [ASSISTANT],
        "non_preferred_output": [ASSISTANT],
    }
    assert not _lint([good] * 10, DPO).has_errors
    report = _lint([good] * 10 + [row], DPO)
    assert report.format_errors[code] >= 1


def test_trl_standard_rows_need_non_empty_strings() -> None:
    options = RowOptions(kind=ReleaseKind.dpo, format=ReleaseFormat.trl, dpo_style=DpoStyle.standard)
    good = {"prompt": "User: hi\n\nAssistant:", "chosen": " a", "rejected": " b"}
    report = _lint([good] * 10 + [{"prompt": "p", "chosen": "", "rejected": ["x"]}], options)
    assert report.format_errors["missing_content"] == 1
    assert report.format_errors["data_type"] == 1


def test_export_with_an_empty_answer_reports_missing_content(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        add_many(session, 10)
        add_pair(session, question="empty answer", chosen="")
    out = tmp_path / "sft.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        result = export_file(session, kind="sft", format="openai", out=out)
    assert result.lint is not None
    assert result.lint.has_errors
    assert result.lint.format_errors["missing_content"] == 1
    assert [i.examples[0]["line"] for i in result.lint.issues if i.code == "missing_content"] == [11]
    # The independent validator agrees.
    assert [p for p in validate_file(out, method="supervised") if p.startswith("line 11:")]


def _cookbook_tokens(messages: list[dict[str, str]], encoding: str) -> int:
    enc = bpe_openai.get_encoding(encoding)
    return 3 + sum(3 + len(enc.encode(m["role"])) + len(enc.encode(m["content"])) for m in messages)


def test_token_counts_use_the_real_encoding(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        seeded = add_many(session, 10, system_prompt="Ünïcode system ✓ 日本語")
    out = tmp_path / "sft.jsonl"
    for model, encoding in (("gpt-4o-mini-2024-07-18", "o200k_base"), ("gpt-3.5-turbo-0125", "cl100k_base")):
        with session_scope(release_engine, read_only=True) as session:
            result = export_file(session, kind="sft", format="openai", out=out, model=model)
        assert_valid(out, kind="sft")
        assert result.lint is not None
        assert result.lint.encoding == encoding
        expected = [
            _cookbook_tokens(orjson.loads(line)["messages"], encoding)
            for line in out.read_bytes().splitlines()
        ]
        assert result.lint.tokens.total == sum(expected)
        assert result.lint.tokens.max == max(expected)
        assert result.lint.estimate.billed_tokens_per_epoch == sum(expected)
        assert len(expected) == len(seeded)


def test_dpo_tokens_count_prompt_and_both_answers() -> None:
    linter = Linter(options=DPO, model="gpt-4.1-mini-2025-04-14")
    prompt = [USER]
    linter.add(
        split="train",
        line=1,
        pair_id=1,
        row={},
        prompt=prompt,
        chosen="yes indeed",
        rejected="no",
        group=b"g",
    )
    report = linter.report()
    enc = bpe_openai.get_encoding("o200k_base")
    head = _cookbook_tokens(prompt, "o200k_base")
    answer = 3 + len(enc.encode("assistant"))
    assert report.tokens.total == head + 2 * answer + len(enc.encode("yes indeed")) + len(enc.encode("no"))


def test_examples_over_the_model_limit_are_warned(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        add_many(session, 10)
        long = add_pair(session, question="long one", chosen="word " * 20_000)
    with session_scope(release_engine, read_only=True) as session:
        small = export_file(
            session, kind="sft", format="openai", out=tmp_path / "a.jsonl", model="gpt-3.5-turbo"
        )
        big = export_file(session, kind="sft", format="openai", out=tmp_path / "b.jsonl", model="gpt-4o-mini")
    assert_valid(tmp_path / "a.jsonl", kind="sft")  # too long is still well-formed
    assert small.lint
    assert big.lint
    assert small.lint.token_limit == 16_385
    assert big.lint.token_limit == 65_536
    assert small.lint.over_limit == 1
    assert big.lint.over_limit == 0
    issue = next(i for i in small.lint.issues if i.code == "over_token_limit")
    assert issue.severity == "warning"
    assert issue.examples[0]["pair_id"] == long.pair.id
    assert not small.lint.has_errors
    # Billing counts at most the limit for the truncated example.
    assert small.lint.estimate.billed_tokens_per_epoch < small.lint.tokens.total


def test_duplicates_and_chosen_equal_rejected(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        add_many(session, 10)
        first = add_pair(session, question="Dup question", chosen="Same answer")
        add_pair(session, question="  dup QUESTION ", chosen="same   answer", rejected="other")
        add_pair(session, question="Echo", chosen="identical", rejected=" identical ")
    with session_scope(release_engine, read_only=True) as session:
        dpo = export_file(session, kind="dpo", format="openai", out=tmp_path / "d.jsonl")
        sft = export_file(session, kind="sft", format="openai", out=tmp_path / "s.jsonl")
    # Duplicates and identical answers are well-formed: the validator passes, only our lint flags them.
    assert_valid(tmp_path / "d.jsonl", kind="dpo")
    assert_valid(tmp_path / "s.jsonl", kind="sft")
    assert dpo.lint
    assert sft.lint
    assert dpo.lint.duplicates == 1
    duplicate = next(i for i in dpo.lint.issues if i.code == "duplicates")
    assert duplicate.severity == "warning"
    assert duplicate.examples[0]["duplicate_of_pair_id"] == first.pair.id
    assert dpo.lint.chosen_equals_rejected == 1
    assert next(i for i in dpo.lint.issues if i.code == "chosen_equals_rejected").severity == "error"
    assert dpo.lint.has_errors
    assert next(i for i in sft.lint.issues if i.code == "chosen_equals_rejected").severity == "warning"
    assert not sft.lint.has_errors


def test_fewer_than_ten_examples_is_an_error() -> None:
    report = _lint([GOOD] * 9)
    assert [i.code for i in report.errors] == ["too_few_examples"]
    assert report.has_errors
    assert not _lint([GOOD] * 10).has_errors


def test_empty_validation_split_is_a_warning(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        add_many(session, 10)
    with session_scope(release_engine, read_only=True) as session:
        result = export_file(session, kind="sft", format="openai", out=tmp_path / "x.jsonl", split=0.001)
    assert_valid(tmp_path / "x.jsonl", kind="sft")
    assert result.lint
    assert result.counts["validation"] == 0
    assert [i.code for i in result.lint.warnings] == ["empty_validation"]


@pytest.mark.parametrize(
    ("n", "epochs"),
    [(1, 25), (3, 25), (5, 20), (33, 3), (34, 3), (8_333, 3), (8_334, 2), (12_501, 1), (0, 0)],
)
def test_epoch_rule_follows_the_cookbook(n: int, epochs: int) -> None:
    assert estimate_epochs(n) == epochs


def test_cost_estimate_is_labelled_and_follows_the_price_table() -> None:
    report = _lint([GOOD] * 20, model="gpt-4o-mini-2024-07-18")
    estimate = report.estimate
    assert estimate.epochs == 5  # 20 * 3 < 100 -> 100 // 20
    assert estimate.billed_tokens == estimate.billed_tokens_per_epoch * 5
    assert estimate.usd_per_million == 3.0
    assert estimate.cost_usd == round(estimate.billed_tokens * 3.0 / 1e6, 4)
    assert estimate.prices_as_of
    assert "estimate" in estimate.note
    unknown = _lint([GOOD] * 20, model="my-local-llama").estimate
    assert unknown.usd_per_million is None
    assert unknown.cost_usd is None
    data = orjson.loads(orjson.dumps(report.to_json()))
    assert data["has_errors"] is False
    assert data["estimate"]["model"] == "gpt-4o-mini-2024-07-18"


def test_model_tables() -> None:
    assert encoding_name("gpt-4o-mini-2024-07-18") == "o200k_base"
    assert encoding_name("ft:gpt-4.1-nano-2025-04-14:acme::abc") == "o200k_base"
    assert encoding_name("gpt-3.5-turbo") == "cl100k_base"
    assert token_limit("gpt-4o-mini-2024-07-18") == 65_536
    assert token_limit("gpt-3.5-turbo-0125") == 16_385
    assert token_limit("unknown") == 65_536
    price = training_price("gpt-4.1-mini-2025-04-14")
    assert price is not None
    assert price.usd_per_million == 5.0


def test_huge_and_special_texts_are_counted_without_errors() -> None:
    counter = TokenCounter("gpt-4o-mini")
    assert counter.count("a " * 600_000) >= 500_000
    assert counter.count("<|endoftext|>") > 1  # text, not the special token


def test_chat_app_markup_in_an_answer_is_warned(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        add_many(session, 10)
        marked = add_pair(session, question="Museum hours?", chosen="It opens at 10 am 【3†source】.")
        add_pair(session, question="Tram?", chosen="Every 10 minutes. citeturn0search0")
        add_pair(
            session, question="Visa?", chosen="Apply a month ahead.", rejected="Apply \ue200cite\ue202x\ue201"
        )
    with session_scope(release_engine, read_only=True) as session:
        sft = export_file(session, kind="sft", format="openai", out=tmp_path / "s.jsonl")
        dpo = export_file(session, kind="dpo", format="openai", out=tmp_path / "d.jsonl")
    assert sft.lint
    assert dpo.lint
    # SFT trains on the chosen answers only; DPO on both.
    assert (sft.lint.app_markup, dpo.lint.app_markup) == (2, 3)
    issue = next(i for i in sft.lint.issues if i.code == "app_markup")
    assert issue.severity == "warning"
    assert issue.examples[0]["pair_id"] == marked.pair.id
    assert not sft.lint.has_errors
