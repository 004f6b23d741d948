"""benchmarks/real_files.py measures the detector on labelled files and fails closed on a label it cannot place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import real_files as bench

CHAT = """## User

How do I read a CSV file with pandas?

## Assistant

Use `pd.read_csv("data.csv")`. It returns a DataFrame with the header row as column names.

## User

that fails: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 10

## Assistant

You're right, the file is not UTF-8. Pass its encoding: `pd.read_csv("data.csv", encoding="latin-1")`.

## User

thanks! and how do I write it back out?

## Assistant

`df.to_csv("out.csv", index=False)` writes it without the index column.
"""


def _labels(tmp_path: Path, *lines: dict[str, Any]) -> Path:
    (tmp_path / "chat.md").write_text(CHAT, encoding="utf-8")
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return labels


def test_found_missed_and_unsure_pairs_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = _labels(tmp_path, {"file": "chat.md", "conversation": 1, "pairs": [[1, 2, 3]], "unsure": []})
    assert bench.main([str(labels), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "precision 1.000, recall 1.000 (found 1 of 1 pairs, 0 false, 0 unsure found)" in out
    # Labelled the other way, the same detection is a false pair and the label a missed one.
    labels = _labels(tmp_path, {"file": "chat.md", "conversation": 1, "pairs": [[3, 4, 5]]})
    assert bench.main([str(labels), "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "precision 0.000, recall 0.000" in out
    assert "false: chat.md#1 (1, 3)" in out
    assert "missed: chat.md#1 (3, 5)" in out
    # Marked unsure, it counts neither way; with its turns marked wrong, the conversation is left out.
    labels = _labels(tmp_path, {"file": "chat.md", "pairs": [], "unsure": [[1, 2, 3]]})
    assert bench.main([str(labels)]) == 0
    assert "0 false, 1 unsure found" in capsys.readouterr().out
    labels = _labels(tmp_path, {"file": "chat.md", "turns_right": False, "pairs": [[1, 2, 3]]})
    assert bench.main([str(labels)]) == 0
    assert "0 conversations (1 with wrong turns left out)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("label", "says"),
    [
        ({"file": "gone.md", "pairs": []}, "gone.md: no such file"),
        ({"file": "chat.md", "conversation": 2, "pairs": []}, "conversation 2 of 1 stored"),
        ({"file": "chat.md", "pairs": [[0, 1, 2]]}, "pairs [0, 1, 2] is no answer, reply, answer"),
        ({"file": "chat.md", "pairs": [[5, 6, 7]]}, "pairs [5, 6, 7] is no answer, reply, answer"),
        ({"pairs": []}, "'file'"),
    ],
)
def test_a_label_it_cannot_place_cannot_measure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: dict[str, Any], says: str
) -> None:
    assert bench.main([str(_labels(tmp_path, label))]) == 2
    assert says in capsys.readouterr().err


def test_a_missing_labels_file_cannot_measure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main([str(tmp_path / "none.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
