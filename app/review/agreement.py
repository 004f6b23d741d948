"""Inter-reviewer agreement: Krippendorff's alpha (nominal, missing data allowed) and raw percent agreement."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import permutations

Unit = Sequence[Hashable | None]


@dataclass(slots=True)
class Agreement:
    alpha: float | None  # None when it is undefined: fewer than two values per unit, or no variation at all
    percent: float | None  # share of agreeing pairs of values within units
    units: int  # units with at least two values (the only ones that count)
    values: int


def _pairable(units: Iterable[Unit]) -> list[list[Hashable]]:
    kept = []
    for unit in units:
        values = [v for v in unit if v is not None]
        if len(values) >= 2:
            kept.append(values)
    return kept


def krippendorff_alpha(units: Iterable[Unit]) -> float | None:
    """Alpha for nominal data: 1 - (n-1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k, over pairable units.

    Each unit lists the values its coders gave (None = that coder did not code the unit). Units with fewer
    than two values carry no information about agreement and are left out, as Krippendorff prescribes.
    """
    kept = _pairable(units)
    coincidences: dict[tuple[Hashable, Hashable], float] = {}
    for values in kept:
        weight = 1.0 / (len(values) - 1)
        for c, k in permutations(values, 2):
            coincidences[(c, k)] = coincidences.get((c, k), 0.0) + weight
    totals: dict[Hashable, float] = {}
    for (c, _), o in coincidences.items():
        totals[c] = totals.get(c, 0.0) + o
    n = sum(totals.values())
    disagree_observed = sum(o for (c, k), o in coincidences.items() if c != k)
    disagree_expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if n <= 1 or disagree_expected == 0:
        return None
    return 1.0 - (n - 1) * disagree_observed / disagree_expected


def percent_agreement(units: Iterable[Unit]) -> float | None:
    """Agreeing pairs of values over all pairs of values within units (units with one value left out)."""
    agree = total = 0
    for values in _pairable(units):
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                total += 1
                agree += values[i] == values[j]
    return agree / total if total else None


def agreement(units: Sequence[Unit]) -> Agreement:
    kept = _pairable(units)
    return Agreement(
        alpha=krippendorff_alpha(kept),
        percent=percent_agreement(kept),
        units=len(kept),
        values=sum(len(v) for v in kept),
    )
