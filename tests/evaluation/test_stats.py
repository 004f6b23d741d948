"""Statistics against values worked out by hand (published Wilson bounds, counted ties, empty cells)."""

from __future__ import annotations

import pytest

from app.evaluation.stats import Instance, adherence, decide, head_to_head, population_sd, wilson


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [
        # Worked out by hand from the Wilson formula with z = 1.96 (4 decimals).
        (8, 10, 0.4902, 0.9433),
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_bounds_match_hand_values(k: int, n: int, lo: float, hi: float) -> None:
    low, high = wilson(k, n)
    assert low == pytest.approx(lo, abs=5e-4)
    assert high == pytest.approx(hi, abs=5e-4)


def test_wilson_of_nothing_is_the_whole_range() -> None:
    assert wilson(0, 0) == (0.0, 1.0)


def test_ties_count_half_a_win() -> None:
    h = head_to_head("sft", "base", wins_a=3, wins_b=1, ties=2)
    assert h.total == 6
    assert h.win_rate_a == pytest.approx(4 / 6)
    # The interval is Wilson's on 4 successes of 6: centred near 0.62.
    assert h.ci95 == pytest.approx(wilson(4, 6))
    assert h.ci95[0] == pytest.approx(0.3000, abs=5e-4)
    assert h.ci95[1] == pytest.approx(0.9032, abs=5e-4)


def test_head_to_head_with_no_comparisons_has_no_rate() -> None:
    h = head_to_head("a", "b", wins_a=0, wins_b=0, ties=0)
    assert h.win_rate_a is None
    assert h.ci95 == (0.0, 1.0)


def test_adherence_overall_per_pattern_and_spread() -> None:
    # Prompt 1: two patterns, both tagged. Prompt 2: two patterns, one tagged. Prompt 3: one, not tagged.
    items = [
        Instance(1, "cite", True), Instance(1, "concise", True),
        Instance(2, "cite", True), Instance(2, "concise", False),
        Instance(3, "cite", False),
    ]  # fmt: skip
    result = adherence(items)
    assert result.instances == 5
    assert result.tagged == 3
    assert result.overall == pytest.approx(0.6)
    assert result.per_pattern == {"cite": pytest.approx(2 / 3), "concise": pytest.approx(0.5)}
    assert result.per_prompt == {1: 1.0, 2: 0.5, 3: 0.0}
    # Per-prompt rates 1, 0.5, 0: mean 0.5, population variance (0.25 + 0 + 0.25) / 3.
    assert result.spread == pytest.approx((0.5 / 3) ** 0.5)
    assert result.ci95 == pytest.approx(wilson(3, 5))


def test_adherence_of_no_instances_is_empty_not_zero() -> None:
    result = adherence([])
    assert result.overall is None
    assert result.per_pattern == {}
    assert result.spread is None
    assert population_sd([]) is None


def test_decision_above_ninety_percent_is_sft_sufficient() -> None:
    items = [Instance(i, "p", i < 95) for i in range(100)]
    d = decide("sft", adherence(items), instances_per_judgment=1)
    assert d.verdict == "sft_sufficient"
    # 95/100: Wilson low bound 0.8882 is under 0.90, so more judgments are needed and counted.
    assert d.more_judgments is not None
    assert d.more_judgments > 0
    assert "95.0%" in d.reason
    assert "more judgments" in d.reason


def test_decision_below_eighty_percent_and_settled() -> None:
    items = [Instance(i, "p", i < 50) for i in range(100)]
    d = decide("sft", adherence(items), instances_per_judgment=2)
    assert d.verdict == "consider_dpo"
    # 50/100: the high bound 0.5964 is far under 0.80, nothing more is needed.
    assert d.more_judgments == 0
    assert "consider DPO" in d.reason


def test_decision_between_thresholds_is_inconclusive_with_a_count() -> None:
    items = [Instance(i, "p", i < 17) for i in range(20)]  # 85%
    d = decide("sft", adherence(items), instances_per_judgment=2)
    assert d.verdict == "inconclusive"
    assert d.more_judgments is not None
    # The count is in judgments: two instances per judgment halves the number of extra instances.
    needed_instances = int(d.reason.split("(")[2].split(" more pattern")[0])
    assert d.more_judgments == -(-needed_instances // 2)
    # At 85% the Wilson interval fits inside 80-90% once n is large enough: check the claim.
    n = 20 + needed_instances
    lo, hi = wilson(0.85 * n, n)
    assert lo > 0.80
    assert hi < 0.90
    lo_before, hi_before = wilson(0.85 * (n - 1), n - 1)
    assert not (lo_before > 0.80 and hi_before < 0.90)


def test_decision_without_judgments_or_subject() -> None:
    assert decide("sft", None, instances_per_judgment=1).verdict == "inconclusive"
    assert decide("sft", adherence([]), instances_per_judgment=1).more_judgments is None
    assert decide(None, None, instances_per_judgment=1).subject is None


def test_decision_on_the_threshold_cannot_be_settled() -> None:
    items = [Instance(i, "p", i < 9) for i in range(10)]  # exactly 90%
    d = decide("sft", adherence(items), instances_per_judgment=1)
    assert d.verdict == "inconclusive"
    assert d.more_judgments is None
