"""Metric charts as plain SVG geometry, computed here and drawn by the template (no script, no style)."""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH, HEIGHT = 360, 170
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 12, 26
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
class Chart:
    name: str
    title: str
    points: str  # "x,y x,y ..." for <polyline points=...>
    dots: list[tuple[float, float]]  # drawn when there are few points
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    last: str
    count: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM


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


def line_chart(name: str, points: list[tuple[int, float]]) -> Chart | None:
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
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(step: float) -> float:
        return round(LEFT + (step - x0) / (x1 - x0) * plot_w, 1)

    def y(value: float) -> float:
        return round(TOP + (1 - (value - y0) / (y1 - y0)) * plot_h, 1)

    coords = [(x(s), y(v)) for s, v in clean]
    first, final = min(steps), max(steps)
    x_ticks = [Tick(x(s), str(s)) for s in sorted({first, (first + final) // 2, final})]
    y_ticks = [Tick(y(v), _label(v)) for v in (y0, (y0 + y1) / 2, y1)]
    return Chart(
        name=name,
        title=TITLES.get(name, name.replace("_", " ").replace("/", " / ")),
        points=" ".join(f"{a},{b}" for a, b in coords),
        dots=coords if len(coords) <= 30 else [],
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        last=_label(values[-1]),
        count=len(points),
    )


def charts_for(series: dict[str, list[tuple[int, float]]], *, limit: int = 8) -> list[Chart]:
    order = [n for n in PREFERRED if n in series] + sorted(n for n in series if n not in PREFERRED)
    charts = []
    for name in order:
        chart = line_chart(name, series[name])
        if chart is not None:
            charts.append(chart)
        if len(charts) >= limit:
            break
    return charts
