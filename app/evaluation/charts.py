"""Adherence per pattern per candidate as grouped bars: SVG geometry computed here, drawn by the template
(the same approach and tick type as the training charts: no script, no style)."""

from __future__ import annotations

from dataclasses import dataclass

from app.evaluation.stats import Adherence
from app.training.charts import Tick

WIDTH = 560
LEFT, RIGHT, TOP = 150, 20, 24
BAR, GAP = 10, 8
# Colour-blind-safe (Okabe-Ito) colours, one per candidate in candidate order.
COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")


@dataclass(frozen=True, slots=True)
class Bar:
    candidate: str
    colour: str
    y: float
    width: float
    # The 95% interval as x positions, drawn as a whisker.
    lo: float
    hi: float
    label: str


@dataclass(frozen=True, slots=True)
class Group:
    pattern: str
    y: float  # where the pattern's name is written
    bars: list[Bar]


@dataclass(frozen=True, slots=True)
class BarChart:
    groups: list[Group]
    legend: list[tuple[str, str]]
    x_ticks: list[Tick]
    width: int
    height: int
    left: int
    right_edge: int
    top: int
    bottom_edge: int


def adherence_chart(results: dict[str, Adherence]) -> BarChart | None:
    """One group per expected pattern, one bar per candidate that has judged instances of it."""
    patterns = sorted({slug for r in results.values() for slug in r.per_pattern})
    if not patterns:
        return None
    labels = list(results)
    plot_w = WIDTH - LEFT - RIGHT

    def x(rate: float) -> float:
        return round(LEFT + rate * plot_w, 1)

    groups: list[Group] = []
    y = float(TOP)
    for slug in patterns:
        bars: list[Bar] = []
        for index, label in enumerate(labels):
            result = results[label]
            if slug not in result.per_pattern:
                continue
            rate = result.per_pattern[slug]
            lo, hi = result.per_pattern_ci95[slug]
            bars.append(
                Bar(
                    candidate=label, colour=COLOURS[index % len(COLOURS)], y=y + len(bars) * (BAR + 2),
                    width=round(rate * plot_w, 1), lo=x(lo), hi=x(hi),
                    label=f"{label}: {rate:.0%} of {result.per_pattern_instances[slug]}",
                )
            )  # fmt: skip
        height = max(len(bars), 1) * (BAR + 2)
        groups.append(Group(pattern=slug, y=round(y + height / 2 + 3, 1), bars=bars))
        y += height + GAP
    bottom = int(y)
    ticks = [Tick(x(v), f"{v:.0%}") for v in (0.0, 0.5, 0.8, 0.9, 1.0)]
    legend = [(label, COLOURS[i % len(COLOURS)]) for i, label in enumerate(labels)]
    return BarChart(
        groups=groups, legend=legend, x_ticks=ticks, width=WIDTH, height=bottom + 20, left=LEFT,
        right_edge=WIDTH - RIGHT, top=TOP, bottom_edge=bottom,
    )  # fmt: skip
