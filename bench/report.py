"""Figures, tables and result files: percentiles, PASS/MISS against targets, JSON out.

Printing is this module's job (the benchmark is a terminal program), hence ``print``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by nearest rank; NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_ms(values_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latencies given in seconds, in milliseconds."""
    return {
        name: round(percentile(values_s, q) * 1000, 2)  # inf stays inf: never arrived
        for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))
    }


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` rounded, NaN when the denominator is not positive."""
    return round(numerator / denominator, 3) if denominator > 0 else math.nan


@dataclass(frozen=True)
class Target:
    """One of the issue's targets, and whether this run met it."""

    name: str
    wanted: str
    measured: float
    met: bool

    @property
    def verdict(self) -> str:
        """PASS or MISS."""
        return "PASS" if self.met else "MISS"


def at_least(name: str, measured: float, wanted: float, unit: str = "") -> Target:
    """A target the measured value must reach."""
    return Target(
        name, f">= {wanted:g}{unit}", measured, not math.isnan(measured) and measured >= wanted
    )


def at_most(name: str, measured: float, wanted: float, unit: str = "") -> Target:
    """A target the measured value must not exceed."""
    return Target(
        name, f"<= {wanted:g}{unit}", measured, not math.isnan(measured) and measured <= wanted
    )


@dataclass
class Result:
    """What one scenario writes to ``bench/results/<scenario>.json``."""

    scenario: str
    preset: str
    sizes: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def write(self) -> Path:
        """Write the JSON file (with when and where it was measured) and return its path."""
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.scenario}.json"
        body = {
            "scenario": self.scenario,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": machine(),
            "preset": self.preset,
            "sizes": self.sizes,
            "rows": self.rows,
            "targets": [{**asdict(t), "verdict": t.verdict} for t in self.targets],
            "notes": self.notes,
        }
        path.write_text(json.dumps(_clean(body), indent=2, allow_nan=False) + "\n")
        return path

    def print(self) -> None:
        """The scenario's table, its targets and notes, on stdout."""
        print(f"\n=== {self.scenario} ({self.preset}) ===")
        print(table(self.rows))
        for target in self.targets:
            print(
                f"  [{target.verdict}] {target.name}: {_fmt(target.measured)} "
                f"(target {target.wanted})"
            )
        for note in self.notes:
            print(f"  note: {note}")


def write_profile(sections: list[str]) -> Path:
    """``results/profile.txt``: where the CPU went, one section per profiled process."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "profile.txt"
    header = (
        "CPU profiles of wagen's hot path: py-spy, 100 Hz, --nonblocking, active threads only.\n"
        "Own time = samples with the function as the innermost frame; inclusive = anywhere on "
        "the stack. Time in a socket write includes the kernel's loopback delivery and, on a "
        "busy machine, waiting for a core after waking the receiver.\n"
        f"Machine: {machine()}\n"
    )
    path.write_text("\n".join([header, *sections]))
    return path


def machine() -> dict[str, Any]:
    """Cores, load and Python of the machine the figures come from."""
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        load = []
    return {
        "cpus": os.cpu_count(),
        "load_avg_at_end": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Rows of dicts as an aligned text table (columns in first-seen order)."""
    if not rows:
        return "  (no rows)"
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  " + "  ".join("-" * w for w in widths))
    lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "timeout"
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}"
    return str(value)


def _clean(value: Any) -> Any:
    """NaN (no data) as JSON null, infinity (never arrived) as "timeout"; tuples as lists."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and math.isinf(value):
        return "timeout"
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
