"""The verdict-fitted scorer: features, fitting, held-back split and metrics (pure, no database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.pairs.detection import DEFAULT_THRESHOLD, detect_pairs, rules_pairs
from app.pairs.learning import FEATURES, ScoreModel, fit, held_back, measure, split_signals

DETECTION = Path(__file__).resolve().parents[1] / "fixtures" / "detection"


def rows(split: str) -> list[tuple[tuple[str, ...], int]]:
    """(signals, label) of every candidate the rules find in one folder of the detection set."""
    out = []
    for line in (DETECTION / split / "convspec.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        turns = [(t["role"], t["text"]) for t in record["turns"]]
        truth = {(p["rejected"], p["pushback"], p["chosen"]) for p in record["pairs"]}
        out += [(p.signals, int((p.rejected, p.pushback, p.chosen) in truth)) for p in rules_pairs(turns)]
    return out


def test_every_signal_the_detector_emits_is_a_feature():
    emitted = {s for split in ("tuning", "heldout") for signals, _ in rows(split) for s in signals}
    assert emitted
    assert emitted <= set(FEATURES)
    # The whole detector adds what the text model read.
    for split in ("tuning", "heldout"):
        for line in (DETECTION / split / "convspec.jsonl").read_text("utf-8").splitlines():
            turns = [(t["role"], t["text"]) for t in json.loads(line)["turns"]]
            emitted |= {s for p in detect_pairs(turns) for s in p.signals}
    assert {"model-agrees", "model-doubts"} <= emitted <= set(FEATURES)


def test_fitted_on_tuning_verdicts_it_ranks_held_out_candidates():
    """Verdicts on the tuning folder as labels; measured on the held-out folder's candidates."""
    model = fit(rows("tuning"), version="lr-test")
    metrics = measure(model, rows("heldout"), threshold=DEFAULT_THRESHOLD)
    assert (metrics.tp, metrics.fp, metrics.fn) == (23, 1, 0)
    assert model.weights["chosen-defends"] < 0 < model.weights["chosen-revises"]


def test_fit_learns_the_direction_of_a_signal():
    data = [(("correction",), 1)] * 30 + [(("praise",), 0)] * 30 + [((), 0)] * 10
    model = fit(data, version="v")
    assert model.predict(["correction"]) > 0.8
    assert model.predict(["praise"]) < 0.2
    assert model.weights["correction"] > 0 > model.weights["praise"]


def test_unknown_signals_are_ignored():
    model = ScoreModel(version="v", bias=0.0, weights={"correction": 2.0})
    assert model.predict(["no-such-signal"]) == 0.5
    assert model.predict(["correction", "no-such-signal"]) == pytest.approx(0.8808, abs=1e-4)


def test_fit_refuses_no_rows():
    with pytest.raises(ValueError, match="no rows"):
        fit([], version="v")


def test_held_back_is_fixed_and_about_a_fifth():
    share = sum(held_back(i) for i in range(1, 5001)) / 5000
    assert 0.17 < share < 0.23
    assert [held_back(i) for i in range(1, 50)] == [held_back(i) for i in range(1, 50)]


def test_measure_counts():
    model = ScoreModel(version="v", bias=-1.0, weights={"correction": 3.0})
    metrics = measure(model, [(["correction"], 1), (["correction"], 0), ([], 1), ([], 0)], threshold=0.5)
    assert (metrics.tp, metrics.fp, metrics.fn, metrics.precision, metrics.recall) == (1, 1, 1, 0.5, 0.5)


def test_split_signals():
    assert split_signals("") == []
    assert split_signals("correction,chosen-expands") == ["correction", "chosen-expands"]
