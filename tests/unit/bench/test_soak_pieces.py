"""The soak's arithmetic: when faults fall, what counts as lost or doubled, per-window
percentiles, memory growth of one process, the targets, and the plot it draws."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from bench import plot
from bench.soak_faults import RECOVERY_S, last_start, schedule
from bench.soak_load import Message
from bench.soak_report import MemorySamples, latency_windows, targets, totals

KINDS = ["worker_killed", "redis_flushed", "genesys_429_storm", "broker_killed"]


def test_faults_take_turns_between_the_first_and_the_last_window() -> None:
    plan = schedule(30 * 60, 5 * 60, 4 * 60, KINDS)
    assert [kind for _, kind in plan] == [*KINDS, "worker_killed"]
    assert plan[0][0] == 5 * 60  # after the first window
    assert all(at + RECOVERY_S <= 25 * 60 for at, _ in plan)  # over before the last one
    assert last_start(30 * 60, 5 * 60) == 25 * 60 - RECOVERY_S


def _message(bench_id: str, kind: str, sent: float, taken: float | None) -> Message:
    return Message(bench_id, kind, sent, taken, attempts=1 if taken else 3)


def test_lost_is_never_delivered_and_doubled_is_accepted_twice() -> None:
    messages = {
        "a": _message("a", "meta", 0.0, 0.1),
        "b": _message("b", "meta", 1.0, 1.1),  # taken, never delivered: lost
        "c": _message("c", "meta", 2.0, None),  # given up: lost too
        "d": _message("d", "genesys", 3.0, 3.1),
    }
    found = totals(messages, {"a": 0.5, "d": 3.5}, {"d": 2})
    assert found["to_genesys"] == {
        "sent": 3,
        "acknowledged": 2,
        "refused_attempts": 0,
        "delivered": 1,
        "lost": 2,
        "doubled": 0,
    }
    assert (found["to_meta"]["delivered"], found["to_meta"]["doubled"]) == (1, 1)


def test_windows_are_by_first_send_with_nearest_rank_percentiles() -> None:
    messages = {f"m{n}": _message(f"m{n}", "meta", 100.0 + n, None) for n in range(20)}
    arrivals = {f"m{n}": 100.0 + n + (0.1 if n < 10 else 1.0) for n in range(20)}
    first, second = latency_windows(messages, arrivals, 100.0, 10.0, 2)
    assert first["to_genesys"]["delivered"] == 10
    assert math.isclose(first["to_genesys"]["p99_ms"], 100.0)
    assert math.isclose(second["to_genesys"]["p50_ms"], 1000.0)
    assert second["to_meta"]["delivered"] == 0


def test_growth_is_judged_on_one_process_only() -> None:
    memory = MemorySamples(
        [
            (0.0, {"gateway": (7, 80.0), "worker-victim": (8, 90.0)}),
            (60.0, {"gateway": (7, 100.0), "worker-victim": (8, 95.0)}),
            (120.0, {"gateway": (7, 103.0), "worker-victim": (9, 70.0)}),
        ]
    )
    assert memory.growth("gateway", 60.0)["growth_pct"] == 3.0
    assert "restarted" in memory.growth("worker-victim", 60.0)["note"]


def test_targets_compare_the_last_windows_p99_with_the_first() -> None:
    counts = {"sent": 1, "acknowledged": 1, "refused_attempts": 0, "delivered": 1}
    found = {d: {**counts, "lost": 0, "doubled": 0} for d in ("to_genesys", "to_meta")}
    window = {"p99_ms": 100.0}
    windows = [
        {"to_genesys": window, "to_meta": window},
        {"to_genesys": {"p99_ms": 160.0}, "to_meta": {"p99_ms": 140.0}},
    ]
    growth = {"gateway": {"growth_pct": 1.0}, "worker-steady": {"growth_pct": 6.0}}
    verdicts = {t["name"]: t["met"] for t in targets(found, windows, growth)}
    assert verdicts["to_genesys: p99 last window / first"] is False
    assert verdicts["to_meta: p99 last window / first"] is True
    assert verdicts["gateway: RSS growth %"] is True
    assert verdicts["worker-steady: RSS growth %"] is False
    assert verdicts["to_meta: lost"]
    assert verdicts["to_genesys: doubled"]


def test_the_plot_is_svg_with_a_line_per_series_broken_where_a_process_restarted() -> None:
    lines = {"worker": [(0.0, 100.0), (30.0, 101.0), (60.0, math.nan), (60.0, 90.0)]}
    text = plot.svg("t", [plot.Panel("memory", "MiB", lines)], 120.0, [(30.0, 40.0, "fault")])
    root = ET.fromstring(text)  # noqa: S314  (our own output, not untrusted input)
    polylines = [e for e in root.iter() if e.tag.endswith("polyline")]
    assert len(polylines) == 2
    assert "fault" in text
