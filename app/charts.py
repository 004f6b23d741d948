"""Chart geometry for server-rendered SVG (dashboard bars, training metric lines): the templates draw it,
with no script and no inline style."""

from __future__ import annotations

import math
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
class BarChart:
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
) -> BarChart:
    """One bar per (label, value, css class) row; `notes` replace the value text shown after a bar."""
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = _scale([v for _, v, _ in rows], room)
    chart = BarChart(title=title, width=WIDTH, height=max(len(rows), 1) * row + 8)
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
) -> BarChart:
    """Two bars per label (for example chosen and rejected), classed by `kinds`."""
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = _scale([v for _, a, b in rows for v in (a, b)], room)
    chart = BarChart(title=title, width=WIDTH, height=max(len(rows), 1) * row + 8)
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


def columns(title: str, rows: Sequence[tuple[str, float]], *, every: int = 5, height: int = 170) -> BarChart:
    """Vertical columns over time; every `every`-th label and the last one are written under the axis."""
    left, bottom, top = 52, 22, 12
    plot = height - bottom - top
    step = (WIDTH - left - 4) / max(len(rows), 1)
    scale = _scale([v for _, v in rows], plot)
    peak = max((v for _, v in rows), default=0)
    chart = BarChart(title=title, width=WIDTH, height=height)
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


# ------------------------------------------------------------------------ line charts (training metrics)

LINE_WIDTH, LINE_HEIGHT = 360, 170
LINE_LEFT, LINE_RIGHT, LINE_TOP, LINE_BOTTOM = 52, 10, 12, 26
MAX_POINTS = 400

# Shown first when present; other metrics follow in name order.
PREFERRED = (
    "loss", "train_loss", "eval_loss", "valid_loss", "full_valid_loss",
    "rewards/margins", "rewards/accuracies", "tokens_per_second", "mfu", "learning_rate",
    "mean_token_accuracy", "train_mean_token_accuracy", "valid_mean_token_accuracy",
    "full_valid_mean_token_accuracy", "rewards/chosen", "rewards/rejected", "grad_norm",
)  # fmt: skip
TITLES = {
    "loss": "Loss",
    "train_loss": "Training loss",
    "eval_loss": "Validation loss",
    "valid_loss": "Validation loss",
    "full_valid_loss": "Full validation loss",
    "rewards/margins": "Reward margin (chosen minus rejected)",
    "rewards/accuracies": "Reward accuracy",
    "learning_rate": "Learning rate",
    "tokens_per_second": "Throughput (tokens/s)",
    "mfu": "Model FLOPs utilisation (share of bf16 peak)",
    "mean_token_accuracy": "Token accuracy",
    "train_mean_token_accuracy": "Training token accuracy",
    "valid_mean_token_accuracy": "Validation token accuracy",
}


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class LineChart:
    name: str
    title: str
    points: str  # "x,y x,y ..." for <polyline points=...>
    dots: list[tuple[float, float]]  # drawn when there are few points
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    last: str
    count: int
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT
    left: int = LINE_LEFT
    right_edge: int = LINE_WIDTH - LINE_RIGHT
    top: int = LINE_TOP
    bottom_edge: int = LINE_HEIGHT - LINE_BOTTOM


def _label(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e4 or magnitude < 1e-3:
        return f"{value:.1e}"
    return f"{value:.4g}"


def _downsample(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    if len(points) <= MAX_POINTS:
        return points
    stride = math.ceil(len(points) / MAX_POINTS)
    sampled = points[::stride]
    if sampled[-1] != points[-1]:
        sampled.append(points[-1])
    return sampled


def line_chart(name: str, points: list[tuple[int, float]]) -> LineChart | None:
    clean = _downsample([(s, v) for s, v in points if math.isfinite(v)])
    if not clean:
        return None
    steps = [s for s, _ in clean]
    values = [v for _, v in clean]
    x0, x1 = min(steps), max(steps)
    y0, y1 = min(values), max(values)
    if x0 == x1:
        x0, x1 = x0 - 1, x1 + 1
    if y0 == y1:
        pad = abs(y0) * 0.1 or 1.0
        y0, y1 = y0 - pad, y1 + pad
    plot_w = LINE_WIDTH - LINE_LEFT - LINE_RIGHT
    plot_h = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM

    def x(step: float) -> float:
        return round(LINE_LEFT + (step - x0) / (x1 - x0) * plot_w, 1)

    def y(value: float) -> float:
        return round(LINE_TOP + (1 - (value - y0) / (y1 - y0)) * plot_h, 1)

    coords = [(x(s), y(v)) for s, v in clean]
    first, final = min(steps), max(steps)
    x_ticks = [Tick(x(s), str(s)) for s in sorted({first, (first + final) // 2, final})]
    y_ticks = [Tick(y(v), _label(v)) for v in (y0, (y0 + y1) / 2, y1)]
    return LineChart(
        name=name,
        title=TITLES.get(name, name.replace("_", " ").replace("/", " / ")),
        points=" ".join(f"{a},{b}" for a, b in coords),
        dots=coords if len(coords) <= 30 else [],
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        last=_label(values[-1]),
        count=len(points),
    )


def charts_for(series: dict[str, list[tuple[int, float]]], *, limit: int = 8) -> list[LineChart]:
    order = [n for n in PREFERRED if n in series] + sorted(n for n in series if n not in PREFERRED)
    charts = []
    for name in order:
        chart = line_chart(name, series[name])
        if chart is not None:
            charts.append(chart)
        if len(charts) >= limit:
            break
    return charts
