"""The train/validation split: grouped by normalized prompt, seeded, deterministic."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine

from app.db import session_scope
from app.releases.export.dataset import export_file
from app.releases.export.split import TRAIN, VALIDATION, assign_split, normalize_text, prompt_group
from tests.releases.factories import add_pair
from tests.releases.openai_validator import assert_valid


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_prompt_group_ignores_case_whitespace_compat_forms_and_system() -> None:
    base = prompt_group(_user("How do I cache?"))
    assert prompt_group(_user("  how  do I\n\tCACHE? ")) == base
    assert prompt_group(_user("How do I \uff43\uff41\uff43\uff48\uff45?")) == base  # fullwidth letters (NFKC)
    assert prompt_group([{"role": "system", "content": "Be brief."}, *_user("How do I cache?")]) == base
    assert prompt_group(_user("How do I cache it?")) != base
    assert prompt_group([{"role": "assistant", "content": "How do I cache?"}]) != base
    assert normalize_text("A\u00a0 B") == "a b"


def test_assignment_is_seeded_and_close_to_the_fraction() -> None:
    groups = [prompt_group(_user(f"question {i}")) for i in range(20_000)]
    first = [assign_split(g, fraction=0.1, seed=1) for g in groups]
    assert first == [assign_split(g, fraction=0.1, seed=1) for g in groups]
    other = [assign_split(g, fraction=0.1, seed=2) for g in groups]
    assert first != other
    share = first.count(VALIDATION) / len(groups)
    assert 0.09 < share < 0.11
    assert {assign_split(g, fraction=0.0, seed=1) for g in groups} == {TRAIN}
    # A larger fraction keeps every group that a smaller one put in validation (monotone in the fraction).
    bigger = [assign_split(g, fraction=0.3, seed=1) for g in groups]
    assert all(b == VALIDATION for a, b in zip(first, bigger, strict=True) if a == VALIDATION)


def test_no_prompt_is_in_both_splits(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        for i in range(30):
            # Each question three times, spelled differently, in separate conversations.
            for variant in (f"Question {i}?", f"  question {i}? ", f"QUESTION   {i}?"):
                add_pair(session, question=variant, chosen=f"Answer {i} ({variant.strip()})")
    out = tmp_path / "sft.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        result = export_file(session, kind="sft", format="openai", out=out, split=0.3, seed=11)
    assert_valid(out, kind="sft")
    assert_valid(tmp_path / "sft.validation.jsonl", kind="sft", training=False)
    assert result.counts["train"]
    assert result.counts["validation"]
    assert result.counts["train"] % 3 == 0
    assert result.counts["validation"] % 3 == 0

    def prompts(path: Path) -> set[str]:
        return {
            normalize_text(orjson.loads(line)["messages"][-2]["content"])
            for line in path.read_bytes().splitlines()
        }

    train, validation = prompts(out), prompts(tmp_path / "sft.validation.jsonl")
    assert train
    assert validation
    assert not train & validation
    assert len(train) + len(validation) == 30


def test_same_seed_same_files_other_seed_other_assignment(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        for i in range(60):
            add_pair(session, question=f"Distinct question {i}")
    files = {}
    for label, seed in (("a", 5), ("b", 5), ("c", 6)):
        with session_scope(release_engine, read_only=True) as session:
            export_file(
                session, kind="dpo", format="openai", out=tmp_path / f"{label}.jsonl", split=0.25, seed=seed
            )
        files[label] = (tmp_path / f"{label}.validation.jsonl").read_bytes()
        assert_valid(tmp_path / f"{label}.jsonl", kind="dpo")
        assert_valid(tmp_path / f"{label}.validation.jsonl", kind="dpo", training=False)
    assert files["a"] == files["b"]
    assert files["a"] != files["c"]


def test_rows_stay_in_pair_id_order_within_each_split(release_engine: Engine, tmp_path: Path) -> None:
    with session_scope(release_engine) as session:
        seeded = [add_pair(session, question=f"Ordered {i}", chosen=f"chosen {i:03d}") for i in range(40)]
    out = tmp_path / "o.jsonl"
    with session_scope(release_engine, read_only=True) as session:
        export_file(session, kind="sft", format="trl", out=out, split=0.5, seed=0)
    order = {s.chosen: s.pair.id or 0 for s in seeded}
    for path in (out, tmp_path / "o.validation.jsonl"):
        ids = [
            order[orjson.loads(line)["messages"][-1]["content"]] for line in path.read_bytes().splitlines()
        ]
        assert ids == sorted(ids)
