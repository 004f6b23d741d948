"""Agreement statistics against values computed by hand (and Krippendorff's own worked example)."""

from __future__ import annotations

import pytest

from app.review.agreement import agreement, krippendorff_alpha, percent_agreement


def test_all_agree_is_one() -> None:
    # Two categories used, every unit unanimous: observed disagreement 0, expected > 0.
    units = [("a", "a"), ("b", "b", "b"), ("a", "a")]
    assert krippendorff_alpha(units) == 1.0
    assert percent_agreement(units) == 1.0


def test_all_disagree_by_hand() -> None:
    # o_ab = o_ba = 2 (each unit adds 1/(2-1) to both), n_a = n_b = 2, n = 4:
    # alpha = 1 - (4 - 1) * 4 / (2*2 + 2*2) = 1 - 12/8 = -0.5
    units = [("a", "b"), ("b", "a")]
    assert krippendorff_alpha(units) == pytest.approx(-0.5)
    assert percent_agreement(units) == 0.0


def test_missing_data_by_hand() -> None:
    # Unit 1: a, a, missing  -> o_aa += 2 * 1/(2-1) = 2
    # Unit 2: a, b, b        -> weight 1/2: o_ab += 1, o_ba += 1, o_bb += 1
    # Unit 3: b, missing     -> one value: left out
    # o_aa = 2, o_ab = o_ba = 1, o_bb = 1; n_a = 3, n_b = 2, n = 5
    # alpha = 1 - (5 - 1) * (1 + 1) / (3*2 + 2*3) = 1 - 8/12 = 1/3
    units = [("a", "a", None), ("a", "b", "b"), ("b", None, None)]
    assert krippendorff_alpha(units) == pytest.approx(1 / 3)
    # Pairs: unit 1 one agreeing pair; unit 2 three pairs, one agreeing -> 2 / 4
    assert percent_agreement(units) == pytest.approx(0.5)
    result = agreement(units)
    assert (result.units, result.values) == (2, 5)


def test_krippendorff_worked_example_nominal() -> None:
    """Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 observers x 12 units: 0.743."""
    a = [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None]
    b = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3]
    c = [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None]
    d = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]
    units = list(zip(a, b, c, d, strict=True))
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=0.0005)


def test_undefined_without_variation_or_pairs() -> None:
    assert krippendorff_alpha([("a", "a"), ("a", "a")]) is None
    assert krippendorff_alpha([("a", None), (None, "b")]) is None
    assert percent_agreement([("a", None)]) is None
