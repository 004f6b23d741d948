"""Chart geometry for server-rendered SVG: the template draws rects and texts, no script, no inline style."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 560
LABEL_WIDTH = 150
VALUE_WIDTH = 90
LABEL_CHARS = 22


@dataclass(slots=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    css: str = ""
    text: str = ""

    @property
    def data(self) -> str:
        """The exact value for the `data-value` attribute (integers without a decimal point)."""
        return str(int(self.value)) if float(self.value).is_integer() else f"{self.value:.3f}"


@dataclass(slots=True)
class Label:
    text: str
    x: float
    y: float
    anchor: str = "start"
    css: str = "chart-label"


@dataclass(slots=True)
class Chart:
    title: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(b.value for b in self.bars)


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _scale(values: Sequence[float], room: float) -> float:
    top = max(values, default=0)
    return room / top if top > 0 else 0.0


def horizontal_bars(
    title: str, rows: Sequence[tuple[str, float, str]], *, notes: Sequence[str] | None = None, row: int = 24
) -> Chart:
    """One bar per (label, value, css class) row; `notes` replace the value text shown after a bar."""
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = _scale([v for _, v, _ in rows], room)
    chart = Chart(title=title, width=WIDTH, height=max(len(rows), 1) * row + 8)
    for i, (label, value, css) in enumerate(rows):
        y = 4 + i * row
        width = value * scale
        text = notes[i] if notes is not None else number(value)
        chart.bars.append(Bar(label, value, LABEL_WIDTH, y + 4, width, row - 8, css, text))
        chart.labels.append(Label(_short(label), LABEL_WIDTH - 8, y + row / 2 + 4, anchor="end"))
        chart.labels.append(Label(text, LABEL_WIDTH + width + 6, y + row / 2 + 4, css="chart-value"))
    return chart


def paired_bars(
    title: str, rows: Sequence[tuple[str, float, float]], *, kinds: tuple[str, str], row: int = 34
) -> Chart:
    """Two bars per label (for example chosen and rejected), classed by `kinds`."""
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = _scale([v for _, a, b in rows for v in (a, b)], room)
    chart = Chart(title=title, width=WIDTH, height=max(len(rows), 1) * row + 8)
    half = (row - 10) / 2
    for i, (label, *values) in enumerate(rows):
        y = 4 + i * row
        for j, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            top = y + 4 + j * half
            width = value * scale
            chart.bars.append(
                Bar(f"{label} ({kind})", value, LABEL_WIDTH, top, width, half - 1, kind, number(value))
            )
            chart.labels.append(
                Label(number(value), LABEL_WIDTH + width + 6, top + half - 2, css="chart-value")
            )
        chart.labels.append(Label(_short(label), LABEL_WIDTH - 8, y + row / 2 + 4, anchor="end"))
    return chart


def columns(title: str, rows: Sequence[tuple[str, float]], *, every: int = 5, height: int = 170) -> Chart:
    """Vertical columns over time; every `every`-th label and the last one are written under the axis."""
    left, bottom, top = 52, 22, 12
    plot = height - bottom - top
    step = (WIDTH - left - 4) / max(len(rows), 1)
    scale = _scale([v for _, v in rows], plot)
    peak = max((v for _, v in rows), default=0)
    chart = Chart(title=title, width=WIDTH, height=height)
    chart.labels.append(Label(number(peak), left - 6, top + 4, anchor="end"))
    chart.labels.append(Label("0", left - 6, top + plot, anchor="end"))
    for i, (label, value) in enumerate(rows):
        h = value * scale
        x = left + i * step
        chart.bars.append(
            Bar(label, value, x + step * 0.15, top + plot - h, step * 0.7, h, "day", number(value))
        )
        if i == len(rows) - 1:
            chart.labels.append(Label(label, x + step, height - 6, anchor="end"))
        elif i % every == 0 and i < len(rows) - every / 2:
            chart.labels.append(Label(label, x + step / 2, height - 6, anchor="middle"))
    return chart
