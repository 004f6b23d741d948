"""Preference files in, accepted, exported as TRL DPO, read back: the same prompt, chosen and rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from app.conversations.importers import get_importer
from app.conversations.importers.base import ParsedConversation
from app.conversations.importing import run_import
from app.db import session_scope
from app.pairs.models import Pair
from app.releases.export.dataset import export_file

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real_formats"

Triple = tuple[str | None, list[tuple[str, str]], str, str]


def _triples(fmt: str, path: Path) -> list[Triple]:
    found: list[Triple] = []
    with path.open("rb") as stream:
        for result in get_importer(fmt).parse(stream, path.name):
            if isinstance(result, ParsedConversation):
                *prompt, rejected, chosen = result.turns
                prompt_turns: list[tuple[str, str]] = [(turn.role, turn.text) for turn in prompt]
                found.append((result.system_prompt, prompt_turns, chosen.text, rejected.text))
    return found


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("hh_rlhf.jsonl", "preference"),
        ("ultrafeedback_binarized.jsonl", "preference"),
        ("trl_implicit.jsonl", "preference"),
        ("llamafactory/dpo_demo.json", "sharegpt"),
        ("llamafactory/alpaca_pref.json", "preference"),
    ],
)
def test_round_trip_through_trl_dpo(engine: Engine, tmp_path: Path, name: str, fmt: str) -> None:
    source = REAL / name
    expected = _triples(fmt, source)
    assert expected
    summary = run_import(engine, paths=[source], source="roundtrip")
    assert summary.pairs_detected == len(expected)
    with session_scope(engine) as session:
        session.execute(update(Pair).values(status="accepted"))
    out = tmp_path / "dpo.jsonl"
    with session_scope(engine) as session:
        result = export_file(session, kind="dpo", format="trl", out=out, lint=False)
    assert result.counts["total"] == len(expected)
    assert sorted(_triples("preference", out), key=repr) == sorted(expected, key=repr)


def test_rows_whose_prompt_opens_with_the_assistant_are_never_exported(
    engine: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "pairs.jsonl"
    source.write_text(
        '{"prompt": [{"role": "assistant", "content": "How can I help?"}, {"role": "user", "content": "Q"}],'
        ' "chosen": "Good", "rejected": "Bad"}\n'
        '{"prompt": "Q2", "chosen": "Good", "rejected": "Bad"}\n'
    )
    assert run_import(engine, paths=[source]).pairs_detected == 2
    with session_scope(engine) as session:
        session.execute(update(Pair).values(status="accepted"))
    out = tmp_path / "dpo.jsonl"
    with session_scope(engine) as session:
        result = export_file(session, kind="dpo", format="trl", out=out, lint=False)
    assert (result.counts["total"], result.counts["skipped_assistant_first"]) == (1, 1)
    assert [t[1] for t in _triples("preference", out)] == [[("user", "Q2")]]
