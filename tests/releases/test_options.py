"""Filters and options: status, score, source, patterns, gold edits, system prompt policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine

from app.db import session_scope
from app.pairs.models import PairStatus
from app.releases.export.dataset import export_file
from app.releases.export.reader import ReleaseFilters, iter_release_pairs
from tests.releases.factories import add_judgment, add_pair, add_user
from tests.releases.openai_validator import assert_valid


def _rows(engine: Engine, tmp_path: Path, **kwargs: Any) -> list[dict[str, Any]]:
    out = tmp_path / "out.jsonl"
    params = {"kind": "dpo", "format": "trl", **kwargs}
    with session_scope(engine, read_only=True) as session:
        export_file(session, out=out, **params)
    if params["format"] == "openai":
        assert_valid(out, kind=str(params["kind"]), training=False)
    return [orjson.loads(line) for line in out.read_bytes().splitlines()]


def test_only_accepted_pairs_by_default(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        for status in (
            PairStatus.accepted,
            PairStatus.tie,
            PairStatus.not_a_pair,
            PairStatus.candidate,
            PairStatus.conflict,
            PairStatus.accepted,
        ):
            add_pair(session, status=status, question=f"status {status}")
    rows = _rows(release_engine, tmp_path)
    assert [r["prompt"][-1]["content"] for r in rows] == ["status accepted", "status accepted"]
    candidates = _rows(release_engine, tmp_path, status="candidate")
    assert [r["prompt"][-1]["content"] for r in candidates] == ["status candidate"]


def test_min_score_and_source_filters(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        add_pair(session, question="low", score=0.2, source="team-a")
        add_pair(session, question="high a", score=0.8, source="team-a")
        add_pair(session, question="high b", score=0.9, source="team-b")
    questions = [r["prompt"][-1]["content"] for r in _rows(release_engine, tmp_path, min_score=0.5)]
    assert questions == ["high a", "high b"]
    questions = [r["prompt"][-1]["content"] for r in _rows(release_engine, tmp_path, source="team-a")]
    assert questions == ["low", "high a"]


def test_pattern_filters_look_at_the_chosen_answer(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        one, two = add_user(session), add_user(session)
        tagged = add_pair(session, question="tagged")
        add_judgment(session, pair=tagged.pair, reviewer=one, patterns_second=["tradeoffs"])
        add_judgment(session, pair=tagged.pair, reviewer=two, patterns_second=["testing"])
        # Swapped: the chosen answer is the first one, so its tags are patterns_first.
        swapped = add_pair(session, question="swapped", swapped=True)
        add_judgment(
            session,
            pair=swapped.pair,
            reviewer=one,
            patterns_first=["tradeoffs"],
            patterns_second=["security"],
        )
        plain = add_pair(session, question="rejected side only")
        add_judgment(session, pair=plain.pair, reviewer=one, patterns_first=["tradeoffs"])
        add_pair(session, question="untagged")

    def questions(**kwargs: Any) -> list[str]:
        return [r["prompt"][-1]["content"] for r in _rows(release_engine, tmp_path, **kwargs)]

    assert questions(patterns_present=["tradeoffs"]) == ["tagged", "swapped"]
    assert questions(patterns_present=["tradeoffs", "testing"]) == ["tagged"]
    assert questions(patterns_absent=["tradeoffs"]) == ["rejected side only", "untagged"]
    assert questions(patterns_present=["tradeoffs"], patterns_absent=["testing"]) == ["swapped"]
    assert questions(patterns_present=["security"]) == []


def test_gold_edit_replaces_chosen_unless_the_original_is_asked_for(
    release_engine: Engine, tmp_path: Path
) -> None:
    with session_scope(release_engine) as session:
        first, second = add_user(session), add_user(session)
        edited = add_pair(session, question="edited", chosen="original text", rejected="bad")
        add_judgment(session, pair=edited.pair, reviewer=first, edited_text="first gold")
        add_judgment(session, pair=edited.pair, reviewer=second, edited_text="latest gold")
        add_pair(session, question="plain", chosen="untouched")
    rows = _rows(release_engine, tmp_path)
    assert [r["chosen"][0]["content"] for r in rows] == ["latest gold", "untouched"]
    assert rows[0]["rejected"][0]["content"] == "bad"
    rows = _rows(release_engine, tmp_path, original_chosen=True)
    assert [r["chosen"][0]["content"] for r in rows] == ["original text", "untouched"]
    sft = _rows(release_engine, tmp_path, kind="sft", format="openai")
    assert sft[0]["messages"][-1] == {"role": "assistant", "content": "latest gold"}


def test_system_prompt_policies(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        add_pair(session, question="with system", system_prompt="Conversation system prompt")
        add_pair(session, question="without system")

    def firsts(**kwargs: Any) -> list[list[dict[str, str]]]:
        return [
            r["messages"][:-1] for r in _rows(release_engine, tmp_path, kind="sft", format="openai", **kwargs)
        ]

    assert firsts() == [
        [
            {"role": "system", "content": "Conversation system prompt"},
            {"role": "user", "content": "with system"},
        ],
        [{"role": "user", "content": "without system"}],
    ]
    release_system = {"role": "system", "content": "Release system prompt"}
    assert firsts(system_policy="set", system_prompt="Release system prompt") == [
        [release_system, {"role": "user", "content": "with system"}],
        [release_system, {"role": "user", "content": "without system"}],
    ]
    assert firsts(system_policy="drop") == [
        [{"role": "user", "content": "with system"}],
        [{"role": "user", "content": "without system"}],
    ]
    dpo = _rows(release_engine, tmp_path, kind="dpo", format="openai", system_policy="set", system_prompt="S")
    assert all(r["input"]["messages"][0] == {"role": "system", "content": "S"} for r in dpo)


def test_reader_agrees_with_iter_pair_details(release_engine: Engine) -> None:
    """The fast reader must yield what the app's own pair reader shows (prompt, chosen, rejected)."""
    from app.pairs.views_data import iter_pair_details

    with session_scope(release_engine) as session:
        reviewer = add_user(session)
        add_pair(session, system_prompt="sys", history=(("user", "earlier"), ("assistant", "reply")))
        swapped = add_pair(session, swapped=True, question="swapped")
        add_judgment(session, pair=swapped.pair, reviewer=reviewer, edited_text="gold")
        for i in range(15):
            add_pair(session, question=f"q{i}", history=(("user", f"h{i}"), ("assistant", f"r{i}")) * (i % 3))
    with session_scope(release_engine, read_only=True) as session:
        ours = list(iter_release_pairs(session, filters=ReleaseFilters(), batch_size=4))
        theirs = list(iter_pair_details(session, status="accepted", batch_size=4))
    assert len(ours) == len(theirs) == 17
    for mine, detail in zip(ours, theirs, strict=True):
        assert (mine.id, mine.prompt, mine.chosen, mine.chosen_original, mine.rejected, mine.gold_edited) == (
            detail.id, detail.prompt, detail.chosen, detail.chosen_original, detail.rejected, detail.gold_edited,
        )  # fmt: skip
