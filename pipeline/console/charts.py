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
    """A label on an axis at ``at`` (pixels along that axis)."""

    at: float
    text: str


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


def nice_ceiling(value: float) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)  # pragma: no cover  (the loop always returns)


def _y_ticks(top: int, plot_h: float) -> tuple[Tick, ...]:
    return tuple(Tick(TOP + plot_h - plot_h * k / 4, f"{round(top * k / 4):,}") for k in range(5))


def _x_ticks(days: Sequence[date], x_of: list[float]) -> tuple[Tick, ...]:
    every = max(1, math.ceil(len(days) / 8))
    return tuple(Tick(x_of[i], f"{d:%b} {d.day}") for i, d in enumerate(days) if i % every == 0)


def daily_bars(days: Sequence[date], series: Mapping[str, Mapping[date, int]]) -> Chart:
    """Grouped bars: one group per day, one bar per series (``messages_in``, ...)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((v for s in series.values() for v in s.values()), default=0))
    slot = plot_w / max(1, len(days))
    names = list(series)
    bar_w = max(1.0, slot * 0.8 / max(1, len(names)))
    bars = []
    centers = []
    for i, day in enumerate(days):
        start = LEFT + i * slot + slot * 0.1
        centers.append(LEFT + i * slot + slot / 2)
        for j, name in enumerate(names):
            value = series[name].get(day, 0)
            height = plot_h * value / top
            bars.append(
                Bar(
                    x=round(start + j * bar_w, 2),
                    y=round(TOP + plot_h - height, 2),
                    width=round(bar_w, 2),
                    height=round(height, 2),
                    series=name,
                    title=f"{day.isoformat()} {name}: {value:,}",
                )
            )
    return Chart(tuple(bars), (), _y_ticks(top, plot_h), _x_ticks(days, centers))


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


def minute_bars(counts: Sequence[int], labels: Sequence[str]) -> Chart:
    """One bar per time bucket (pipeline throughput), labelled by ``labels``."""
    days_like = list(range(len(counts)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max(counts, default=0))
    slot = plot_w / max(1, len(counts))
    bars = tuple(
        Bar(
            x=round(LEFT + i * slot + slot * 0.1, 2),
            y=round(TOP + plot_h - plot_h * n / top, 2),
            width=round(slot * 0.8, 2),
            height=round(plot_h * n / top, 2),
            series="records",
            title=f"{labels[i]}: {n:,} records",
        )
        for i, n in enumerate(counts)
    )
    every = max(1, math.ceil(len(days_like) / 6))
    ticks = tuple(Tick(LEFT + i * slot + slot / 2, labels[i]) for i in days_like if i % every == 0)
    return Chart(bars, (), _y_ticks(top, plot_h), ticks)
