"""Open Interpreter's saved conversations (`conversations/<first words>__<date>.json`, Python's `json.dump` of its
message list), read by the `openai` importer as bare message arrays. The fixtures
(tests/fixtures/real_formats/open_interpreter/) are written by hand in the shapes of its `core.py`: 0.2 and later
in "LMC" messages (`type` message / code / console / image, the `computer` role for what ran), 0.1 with the text
under `message` and a step's `language`, `code` and `output` on the assistant message."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "open_interpreter"
LMC = ROOT / "conversations" / "How_many_rows_does__March_02_2025_16-40-12.json"
OLD = ROOT / "conversations-0.1" / "Plot_the_temperature__September_21_2023_09-12-44.json"


def test_both_versions_are_read_as_message_arrays() -> None:
    assert detect_format(LMC.read_bytes(), LMC.name) == "openai"
    assert detect_format(OLD.read_bytes(), OLD.name) == "openai"


def test_lmc_code_runs_are_tool_calls_and_their_output_results() -> None:
    conversation = parse_one("openai", LMC.read_bytes(), LMC.name)
    texts = turns(conversation)
    assert [role for role, _ in texts] == ["user", "assistant", "user", "assistant"]
    assert texts[1][1] == "I'll count the lines of the file.\n\nsales.csv has 1201 rows."
    blocks = conversation.turns[3].blocks or []
    assert [b["type"] for b in blocks] == ["text", "tool_use", "tool_result", "text"]
    assert blocks[1]["name"] == "python"
    assert blocks[1]["input"] == {"code": "import pandas as pd\nlen(pd.read_csv('sales.csv'))"}
    assert blocks[2]["content"] == "1187"
    # The image it showed is not kept, and is counted.
    assert conversation.dropped == {"image": 1}
    (pair,) = [p for p in find_pairs(conversation) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_a_0_1_step_keeps_its_code_and_output() -> None:
    conversation = parse_one("openai", OLD.read_bytes(), OLD.name)
    assert [role for role, _ in turns(conversation)] == ["user", "assistant"]
    blocks = conversation.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["text", "tool_use", "tool_result"] * 2 + ["text"]
    assert blocks[1]["input"]["code"].endswith("df['temperature'].plot()")
    assert blocks[2]["content"] == "KeyError: 'temperature'"
    assert conversation.turns[1].text.endswith("The temperature column is `temp_c`; here is the plot of it.")


def test_the_conversations_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="open-interpreter", workers=0)
    assert (summary.conversations_added, summary.error_count) == (2, 0)
    assert run_import(engine, paths=[ROOT], source="open-interpreter", workers=0).conversations_added == 0
