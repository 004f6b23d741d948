"""Exports write rows that stand on their own: gold prompt, gold answer or transform, leaky rows excluded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine

from app.assist.models import Suggestion
from app.db import session_scope
from app.pairs.leak_check import check_unchecked_pairs
from app.pairs.models import Pair, PairEdit
from app.releases.export.dataset import export_file
from app.releases.service import build_release
from tests.releases.factories import add_judgment, add_pair, add_user
from tests.releases.openai_validator import assert_valid

Q = "How do I paginate a SQL query?"
PUSHBACK = "Wrong, OFFSET is slow: the table has 50M rows."


def _seed(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        ids = {
            "clean": add_pair(session, question=Q, pushback=PUSHBACK, chosen="Use keyset pagination.").pair.id,
            "fixed": add_pair(session, question=Q, pushback=PUSHBACK, chosen="Good catch! Use keyset pagination.").pair.id,
            "leaky": add_pair(session, question=Q, pushback=PUSHBACK, chosen="With 50M rows, use keyset pagination.").pair.id,
            "gold": add_pair(session, question=Q, pushback=PUSHBACK, chosen="You're right. On 50M rows use keysets.").pair.id,
        }  # fmt: skip
        check_unchecked_pairs(session.connection())
        reviewer = add_user(session)
        gold_id = ids["gold"]
        assert gold_id is not None
        gold = session.get_one(Pair, gold_id)
        add_judgment(session, pair=gold, reviewer=reviewer, edited_text="On 50M rows, use keyset pagination.")
        session.add(PairEdit(pair_id=gold_id, field="prompt", text="How do I paginate a 50M-row table?",
                             previous_text=Q, source="reviewer", author_id=reviewer.id))  # fmt: skip
    return {k: int(v or 0) for k, v in ids.items()}


def _export(engine: Engine, tmp_path: Path, **kwargs: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    out = tmp_path / "sft.jsonl"
    with session_scope(engine, read_only=True) as session:
        result = export_file(session, kind="sft", format="openai", out=out, **kwargs)
    assert_valid(out, kind="sft", training=False)
    assert result.lint is not None
    return [orjson.loads(line) for line in out.read_bytes().splitlines()], result.lint.to_json()


def test_rows_are_clean_fixed_gold_or_excluded(release_engine: Engine, tmp_path: Path) -> None:
    ids = _seed(release_engine)
    rows, lint = _export(release_engine, tmp_path)
    assert [(r["messages"][-2]["content"], r["messages"][-1]["content"]) for r in rows] == [
        (Q, "Use keyset pagination."),
        (Q, "Use keyset pagination."),
        ("How do I paginate a 50M-row table?", "On 50M rows, use keyset pagination."),
    ]
    assert lint["standalone"] == {
        "checked": 4, "clean": 1, "fixed_by_transform": 1, "gold_edited": 1, "excluded": 1, "kept_leaky": 0,
        "excluded_pair_ids": [ids["leaky"]],
    }  # fmt: skip


def test_keep_leaky_keeps_them_and_says_so(release_engine: Engine, tmp_path: Path) -> None:
    _seed(release_engine)
    rows, lint = _export(release_engine, tmp_path, keep_leaky=True)
    assert "With 50M rows, use keyset pagination." in [r["messages"][-1]["content"] for r in rows]
    assert (lint["standalone"]["excluded"], lint["standalone"]["kept_leaky"]) == (0, 1)


def test_no_row_opens_by_acknowledging_feedback(release_engine: Engine, tmp_path: Path) -> None:
    _seed(release_engine)
    rows, _ = _export(release_engine, tmp_path)
    for row in rows:
        assert not row["messages"][-1]["content"].startswith(("Good catch", "You're right"))


def test_original_chosen_exports_originals_and_excludes_the_leaky(
    release_engine: Engine, tmp_path: Path
) -> None:
    _seed(release_engine)
    rows, lint = _export(release_engine, tmp_path, original_chosen=True)
    # The gold prompt still applies and carries "50M": the original's acknowledgement goes, the rest stands.
    assert [r["messages"][-1]["content"] for r in rows] == [
        "Use keyset pagination.",
        "Use keyset pagination.",
        "On 50M rows use keysets.",
    ]
    assert lint["standalone"]["excluded"] == 1


def test_unreviewed_suggestions_only_when_the_admin_chose_so(release_engine: Engine, tmp_path: Path) -> None:
    ids = _seed(release_engine)
    with session_scope(release_engine) as session:
        session.add(Suggestion(pair_id=ids["leaky"], field="prompt", text="How do I paginate a 50M-row table?",
                               base_text=Q, model="stand-in"))  # fmt: skip
    rows, lint = _export(release_engine, tmp_path)
    assert lint["standalone"]["excluded"] == 1
    rows, lint = _export(release_engine, tmp_path, use_suggestions=True)
    assert lint["standalone"]["excluded"] == 0
    assert ("How do I paginate a 50M-row table?", "With 50M rows, use keyset pagination.") in [
        (r["messages"][-2]["content"], r["messages"][-1]["content"]) for r in rows
    ]


def test_release_manifest_and_card_record_the_policy(release_engine: Engine, data_dir: Path) -> None:
    _seed(release_engine)
    with session_scope(release_engine) as session:
        release = build_release(session, name="standalone", kind="dpo", format="parquet", data_dir=data_dir,
                                license="cc-by-4.0")  # fmt: skip
        folder = data_dir / str(release.directory)
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    assert manifest["options"]["standalone"]["leaky_rows"] == "excluded"
    assert manifest["options"]["standalone"]["use_unreviewed_suggestions"] is False
    assert manifest["standalone"]["excluded"] == 1
    assert manifest["license"] == "cc-by-4.0"
    card = (folder / "README.md").read_text()
    assert "license: cc-by-4.0\n" in card
    assert "## How rows were made" in card
    assert "leaky rows excluded" in card
