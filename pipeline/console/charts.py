"""Charts drawn on the server as SVG geometry (pure: numbers in, shapes out).

No chart library and no script: the template turns these shapes into ``<rect>``, ``<polyline>``
and ``<text>`` elements coloured by CSS classes, inside a ``viewBox`` that scales to the width
of the page, with a data table beside each chart for screen readers and exact figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 720
HEIGHT = 240
LEFT = 48
RIGHT = 12
TOP = 12
BOTTOM = 28


@dataclass(frozen=True)
class Bar:
    """One bar: its box, its series (a CSS class) and what its tooltip says."""

    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass(frozen=True)
class Tick:
    """A label on an axis at ``at`` (pixels along that axis), anchored so it stays inside."""

    at: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Chart:
    """Everything the SVG template draws."""

    bars: tuple[Bar, ...]
    lines: tuple[tuple[str, str], ...]
    """(series, ``points`` attribute of a polyline)."""
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM


Y_STEPS = 5


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``, at least 5, so the
    five steps of the axis are whole numbers."""
    if value <= Y_STEPS:
        return Y_STEPS
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)  # pragma: no cover  (the loop always returns)


def short(value: int) -> str:
    """``950``, ``1.5k``, ``20k``, ``3M``: axis labels that fit a phone's width."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:.1f}".removesuffix(".0") + suffix
    return str(value)


def _y_ticks(top: int, plot_h: float) -> tuple[Tick, ...]:
    return tuple(
        Tick(TOP + plot_h - plot_h * k / Y_STEPS, short(top * k // Y_STEPS), "end")
        for k in range(Y_STEPS + 1)
    )


def _anchor(x: float) -> str:
    """Labels near an edge grow inwards."""
    if x > WIDTH - RIGHT - 30:
        return "end"
    return "start" if x < LEFT + 30 else "middle"


def _x_ticks(days: Sequence[date], x_of: list[float]) -> tuple[Tick, ...]:
    every = max(1, math.ceil(len(days) / 8))
    return tuple(
        Tick(x_of[i], f"{d:%b} {d.day}", _anchor(x_of[i]))
        for i, d in enumerate(days)
        if i % every == 0
    )


def grouped_bars(
    labels: Sequence[str],
    series: Mapping[str, Sequence[int]],
    names: Mapping[str, str] | None = None,
) -> Chart:
    """Grouped bars: one group per label (a day, five minutes), one bar per series (its key
    is the bars' CSS class; ``names`` gives what their tooltips call it)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((v for values in series.values() for v in values), default=0))
    slot = plot_w / max(1, len(labels))
    keys = list(series)
    bar_w = max(1.0, slot * 0.8 / max(1, len(keys)))
    bars = []
    centers = []
    for i, label in enumerate(labels):
        start = LEFT + i * slot + slot * 0.1
        centers.append(LEFT + i * slot + slot / 2)
        for j, name in enumerate(keys):
            value = series[name][i]
            height = plot_h * value / top
            bars.append(
                Bar(
                    x=round(start + j * bar_w, 2),
                    y=round(TOP + plot_h - height, 2),
                    width=round(bar_w, 2),
                    height=round(height, 2),
                    series=name,
                    title=f"{label} {(names or {}).get(name, name)}: {value:,}",
                )
            )
    every = max(1, math.ceil(len(labels) / 8))
    ticks = tuple(
        Tick(centers[i], label, _anchor(centers[i]))
        for i, label in enumerate(labels)
        if i % every == 0
    )
    return Chart(tuple(bars), (), _y_ticks(top, plot_h), ticks)


def daily_bars(days: Sequence[date], series: Mapping[str, Mapping[date, int]]) -> Chart:
    """Messages per day, one bar per category (``messages_in``, ...)."""
    labels = [f"{d:%b} {d.day}" for d in days]
    return grouped_bars(
        labels, {name: [per_day.get(d, 0) for d in days] for name, per_day in series.items()}
    )


def cumulative(days: Sequence[date], counts: Mapping[date, int], quota: int | None) -> Chart:
    """The month's running total as a line, and the quota as a level line when there is one."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    running, total = [], 0
    for day in days:
        total += counts.get(day, 0)
        running.append(total)
    top = nice_ceiling(max([total, quota or 0]))
    step = plot_w / max(1, len(days) - 1)
    xs = [LEFT + i * step for i in range(len(days))]
    points = " ".join(
        f"{x:.1f},{TOP + plot_h - plot_h * v / top:.1f}" for x, v in zip(xs, running, strict=True)
    )
    lines = [("total", points)]
    if quota is not None:
        y = TOP + plot_h - plot_h * quota / top
        lines.append(("quota", f"{LEFT:.1f},{y:.1f} {LEFT + plot_w:.1f},{y:.1f}"))
    return Chart((), tuple(lines), _y_ticks(top, plot_h), _x_ticks(days, xs))
