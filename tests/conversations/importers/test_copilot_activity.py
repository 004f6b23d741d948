"""Microsoft Copilot's activity history CSV (privacy dashboard > "Export all activity history"): the fixture
(tests/fixtures/real_formats/copilot_activity/) is written by hand in the shape a real public export shows
(`Conversation,Time,Author,Message`, `Human` / `AI`, newest first, a prompt and its answer at one time) with the
BOM and CRLF rows parsers built against real exports expect, and a line break inside a quoted message."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.files import InputFile, iter_input_files
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.conversations.reading import FileRead, read_file
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import errors_of, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "copilot_activity"
EXPORT = ROOT / "copilot-activity-history.csv"


def _parse(data: bytes) -> list[object]:
    return list(get_importer("copilot-activity").parse(io.BytesIO(data), EXPORT.name))


def test_the_export_is_detected_by_its_header() -> None:
    assert detect_format(EXPORT.read_bytes(), "export.csv") == "copilot-activity"
    assert detect_format(b"Conversation,Time,Author,Text\nx,y,z,w\n", "other.csv") != "copilot-activity"


def test_rows_are_grouped_by_title_and_put_back_in_time_order() -> None:
    results = _parse(EXPORT.read_bytes())
    sourdough, excel = [r for r in results if isinstance(r, ParsedConversation)]
    assert sourdough.title == "Sourdough starter help"
    assert sourdough.metadata == {"started_at": "2025-09-14T19:20:44"}
    assert [role for role, _ in turns(sourdough)] == ["user", "assistant", "user", "assistant"]
    assert turns(sourdough)[0][1] == "My sourdough starter hasn't risen after 5 days. What am I doing wrong?"
    assert turns(sourdough)[1][1].endswith('Use "strong" white bread flour.')
    assert turns(sourdough)[2][1].startswith("it's whole wheat flour, not white")
    # A line break inside a quoted message is kept.
    assert turns(sourdough)[3][1].endswith(
        "keep it at about 24 °C.\nIt should double within 6 hours by day 7."
    )
    assert turns(excel)[0] == ("user", "How do I sum a column in Excel but skip rows hidden by a filter?")
    # A chat nobody answered is skipped.
    assert [r.reason for r in results if isinstance(r, Skipped)] == ["Copilot conversation without an answer"]
    (pair,) = [p for p in find_pairs(sourdough) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_a_row_by_an_unknown_author_is_an_error_at_its_line() -> None:
    data = b"Conversation,Time,Author,Message\nt,2025-01-01T00:00:01,AI,hi\nt,2025-01-01T00:00:00,Bot,x\n"
    errors = [r for r in _parse(data) if isinstance(r, RecordError)]
    assert errors_of(errors) == [(3, None, 'Author: expected "Human" or "AI", got \'Bot\'')]


def test_another_csv_read_as_this_format_says_which_columns_it_needs(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_bytes(b"title,when,who,text\nt,2025-01-01,AI,hi\n")
    (item,) = iter_input_files([other])
    assert isinstance(item, InputFile)
    (error,) = read_file(item, format="copilot-activity", read=FileRead())
    assert isinstance(error, RecordError)
    assert error.reason == (
        "expected the columns Conversation,Time,Author,Message (Copilot's activity history), got title,when,who,text"
    )


def test_the_export_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="copilot", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert run_import(engine, paths=[ROOT], source="copilot", workers=0).conversations_added == 0
