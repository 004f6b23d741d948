"""benchmarks/detection.py fails closed: a set it cannot read or parse completely exits 2, never 0."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks import detection as bench

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def detection_copy(tmp_path: Path) -> Path:
    """A writable copy of the detection sets (our two folders and the independent set) to break."""
    target = tmp_path / "detection"
    for split in bench.OWN_SETS:
        shutil.copytree(FIXTURES / "detection" / split, target / split)
    shutil.copytree(FIXTURES / "detection" / "independent", target / "independent")
    return target


def _main(detection: Path, *extra: str) -> int:
    return bench.main(
        ["--samples", str(FIXTURES / "samples"), "--detection", str(detection), "--json", *extra]
    )


def test_missing_format_folder_cannot_measure(
    detection_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(detection_copy / "heldout" / "rendered" / "chatgpt")
    assert _main(detection_copy) == 2
    assert "heldout/rendered/chatgpt: missing" in capsys.readouterr().err


def test_importer_crash_cannot_measure(detection_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (detection_copy / "heldout" / "rendered" / "sharegpt" / "conversations.json").write_text("[{", "utf-8")
    assert _main(detection_copy) == 2
    assert "heldout/sharegpt" in capsys.readouterr().err


def test_short_parse_cannot_measure(detection_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openai = detection_copy / "tuning" / "rendered" / "openai" / "conversations.jsonl"
    lines = openai.read_text("utf-8").splitlines(keepends=True)
    openai.write_text("".join(lines[:-3]), "utf-8")
    assert _main(detection_copy) == 2
    assert (
        f"tuning/openai: parsed {len(lines) - 3} conversations, the set has {len(lines)}"
        in capsys.readouterr().err
    )


def test_missing_labels_cannot_measure(detection_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (detection_copy / "heldout" / "labels.jsonl").unlink()
    assert _main(detection_copy) == 2
    assert "labels.jsonl: missing" in capsys.readouterr().err


def test_missed_target_is_listed_and_fails() -> None:
    report = {
        "sets": {
            "heldout": {
                "formats": {"openai": {"ours": {"precision": 0.97, "recall": 0.5}}},
                "queue": {"paste_or_praise": 1},
            }
        },
        "timing": {"us_per_conversation": 20.0},
    }
    assert bench.misses(report) == [
        "heldout/openai: precision 0.970, recall 0.500",
        "heldout queue: 1 paste/praise pairs in the top 20%",
    ]
