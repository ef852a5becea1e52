"""The soak's figures: totals lost and doubled, latency percentiles per window, each
process's memory over time and its growth, and the targets, as ``bench/results/soak.json``.

Latency is end to end as the vendor sees it: the first send of a webhook (wall clock) to the
simulator accepting the call it caused, refused attempts and retries included. Growth is the
RSS of the same process (same pid) from the first sample at or after ``growth_from_s`` to
the last one; a process restarted in between (the worker the faults kill) is reported, not
judged.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.report import percentile
from bench.soak_load import Message

DIRECTIONS = {"meta": "to_genesys", "genesys": "to_meta"}
# Processes judged for growth: wagen's own, alive the whole run.
JUDGED = ("gateway", "worker-steady")
MAX_GROWTH_PCT = 5.0
MAX_P99_RATIO = 1.5


@dataclass
class MemorySamples:
    """(wall time, {process: (pid, RSS MiB)}) every sample."""

    rows: list[tuple[float, dict[str, tuple[int, float]]]] = field(default_factory=list)

    def growth(self, name: str, from_t: float) -> dict[str, Any]:
        """RSS of ``name`` at the first sample from ``from_t`` and at the last, same pid."""
        seen = [(t, row[name]) for t, row in self.rows if name in row and t >= from_t]
        if not seen:
            return {"note": "no sample"}
        (_, (pid, first)), (_, (last_pid, last)) = seen[0], seen[-1]
        if pid != last_pid:
            return {"note": f"restarted (pid {pid} -> {last_pid}): not judged"}
        return {
            "pid": pid,
            "from_mib": round(first, 1),
            "to_mib": round(last, 1),
            "growth_pct": round((last - first) / first * 100, 2) if first else math.nan,
        }


def latency_windows(
    messages: dict[str, Message], arrivals: dict[str, float], t0: float, window_s: float, count: int
) -> list[dict[str, Any]]:
    """Per window (by first send) and direction: count delivered and p50/p95/p99 in ms."""
    windows: list[dict[str, Any]] = []
    for index in range(count):
        start, end = t0 + index * window_s, t0 + (index + 1) * window_s
        row: dict[str, Any] = {"from_s": index * window_s, "to_s": (index + 1) * window_s}
        for kind, direction in DIRECTIONS.items():
            latencies = [
                arrivals[m.bench_id] - m.first_sent
                for m in messages.values()
                if m.kind == kind and start <= m.first_sent < end and m.bench_id in arrivals
            ]
            row[direction] = {"delivered": len(latencies)} | {
                f"p{q}_ms": round(percentile(latencies, q) * 1000, 1) for q in (50, 95, 99)
            }
        windows.append(row)
    return windows


def latency_series(
    messages: dict[str, Message], arrivals: dict[str, float], t0: float, step_s: float
) -> dict[str, list[tuple[float, float]]]:
    """(offset, p99 ms) per ``step_s`` of first sends, per direction: the plot's line."""
    series: dict[str, list[tuple[float, float]]] = {d: [] for d in DIRECTIONS.values()}
    buckets: dict[tuple[str, int], list[float]] = {}
    for m in messages.values():
        if m.bench_id in arrivals:
            key = (DIRECTIONS[m.kind], int((m.first_sent - t0) // step_s))
            buckets.setdefault(key, []).append(arrivals[m.bench_id] - m.first_sent)
    for (direction, index), values in sorted(buckets.items()):
        series[direction].append((index * step_s, round(percentile(values, 99) * 1000, 1)))
    return series


def totals(
    messages: dict[str, Message], arrivals: dict[str, float], doubled: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Per direction: sent, acknowledged, refused attempts, delivered, lost, doubled."""
    found: dict[str, dict[str, int]] = {}
    for kind, direction in DIRECTIONS.items():
        ours = [m for m in messages.values() if m.kind == kind]
        found[direction] = {
            "sent": len(ours),
            "acknowledged": sum(1 for m in ours if m.taken is not None),
            "refused_attempts": sum(m.refused for m in ours),
            "delivered": sum(1 for m in ours if m.bench_id in arrivals),
            # Never taken (given up), or taken and never delivered: lost either way.
            "lost": sum(1 for m in ours if m.bench_id not in arrivals),
            "doubled": sum(1 for m in ours if doubled.get(m.bench_id, 1) > 1),
        }
    return found


def targets(
    found: dict[str, dict[str, int]], windows: list[dict[str, Any]], growth: dict[str, Any]
) -> list[dict[str, Any]]:
    """The issue's targets, each with what was measured and whether it was met."""
    rows = []
    for direction, counts in found.items():
        rows.append(_target(f"{direction}: lost", counts["lost"], "== 0", counts["lost"] == 0))
        rows.append(
            _target(f"{direction}: doubled", counts["doubled"], "== 0", counts["doubled"] == 0)
        )
        first, last = windows[0][direction]["p99_ms"], windows[-1][direction]["p99_ms"]
        ratio = last / first if first and not math.isnan(first) else math.nan
        rows.append(
            _target(
                f"{direction}: p99 last window / first",
                round(ratio, 2),
                f"<= {MAX_P99_RATIO:g}",
                ratio <= MAX_P99_RATIO,
            )
        )
    for name in JUDGED:
        pct = growth.get(name, {}).get("growth_pct", math.nan)
        rows.append(
            _target(f"{name}: RSS growth %", pct, f"< {MAX_GROWTH_PCT:g}", pct < MAX_GROWTH_PCT)
        )
    return rows


def _target(name: str, measured: float, wanted: str, met: bool) -> dict[str, Any]:
    return {"name": name, "wanted": wanted, "measured": measured, "met": bool(met)}


def write(path: Path, result: dict[str, Any]) -> Path:
    """The result as JSON, with the machine it ran on."""
    result = {
        "scenario": "soak",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        **result,
    }
    path.write_text(json.dumps(result, indent=2, allow_nan=True) + "\n")
    return path
