"""A small SVG line chart writer for the soak: no plotting library, one file a browser or a
Markdown viewer shows. Panels share the time axis; shaded bands mark the faults."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, PANEL_H, LEFT, RIGHT, TOP, GAP = 960, 260, 70, 190, 30, 60
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")

Series = dict[str, list[tuple[float, float]]]


@dataclass(frozen=True)
class Panel:
    """One chart: a title, a y-axis label, named lines of (seconds, value)."""

    title: str
    unit: str
    lines: Series


def _ticks(top: float, count: int = 5) -> list[float]:
    if top <= 0:
        return [0.0]
    raw = top / count
    step = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if raw <= step * mult:
            step *= mult
            break
    return [step * i for i in range(int(top // step) + 1)]


def _panel(
    panel: Panel, y0: float, duration_s: float, bands: Sequence[tuple[float, float, str]]
) -> list[str]:
    plot_w = WIDTH - LEFT - RIGHT
    values = [v for line in panel.lines.values() for _, v in line if math.isfinite(v)]
    top = max(values, default=1.0) * 1.1 or 1.0

    def x(t: float) -> float:
        return LEFT + plot_w * t / duration_s if duration_s else LEFT

    def y(v: float) -> float:
        return y0 + PANEL_H - PANEL_H * min(v, top) / top

    out = [
        f'<text x="{LEFT}" y="{y0 - 10}" font-size="14" font-weight="bold">'
        f"{escape(panel.title)}</text>",
        f'<rect x="{LEFT}" y="{y0}" width="{plot_w}" height="{PANEL_H}" fill="none" '
        'stroke="#999"/>',
    ]
    for start, end, label in bands:
        out.append(
            f'<rect x="{x(start):.1f}" y="{y0}" width="{max(1.0, x(end) - x(start)):.1f}" '
            f'height="{PANEL_H}" fill="#f2c14e" fill-opacity="0.25"/>'
            f'<text x="{x(start) + 2:.1f}" y="{y0 + 12}" font-size="9" fill="#8a6d00">'
            f"{escape(label)}</text>"
        )
    for tick in _ticks(top / 1.1):
        out.append(
            f'<line x1="{LEFT - 4}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#eee"/><text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" font-size="10" '
            f'text-anchor="end">{tick:g}</text>'
        )
    out.append(
        f'<text x="16" y="{y0 + PANEL_H / 2}" font-size="11" '
        f'transform="rotate(-90 16 {y0 + PANEL_H / 2})" text-anchor="middle">'
        f"{escape(panel.unit)}</text>"
    )
    for tick in _ticks(duration_s / 60, 10):
        tx = x(tick * 60)
        out.append(
            f'<text x="{tx:.1f}" y="{y0 + PANEL_H + 14}" font-size="10" text-anchor="middle">'
            f"{tick:g} min</text>"
        )
    for index, (name, points) in enumerate(sorted(panel.lines.items())):
        colour = COLOURS[index % len(COLOURS)]
        # A non-finite value breaks the line (a process restarted: a new one from there).
        segments: list[list[str]] = [[]]
        for t, v in points:
            if math.isfinite(v):
                segments[-1].append(f"{x(t):.1f},{y(v):.1f}")
            elif segments[-1]:
                segments.append([])
        for segment in segments:
            if segment:
                out.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" '
                    'stroke-width="1.5"/>'
                )
        ly = y0 + 14 + 16 * index
        out.append(
            f'<line x1="{WIDTH - RIGHT + 12}" x2="{WIDTH - RIGHT + 32}" y1="{ly - 4}" '
            f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{WIDTH - RIGHT + 38}" y="{ly}" font-size="11">{escape(name)}</text>'
        )
    return out


def svg(
    title: str,
    panels: Sequence[Panel],
    duration_s: float,
    bands: Sequence[tuple[float, float, str]] = (),
) -> str:
    """The whole chart: a title, then each panel below the previous one."""
    height = TOP + len(panels) * (PANEL_H + GAP) + 10
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{LEFT}" y="20" font-size="16">{escape(title)}</text>',
    ]
    for index, panel in enumerate(panels):
        body += _panel(panel, TOP + 30 + index * (PANEL_H + GAP), duration_s, bands)
    body.append("</svg>")
    return "\n".join(body) + "\n"
