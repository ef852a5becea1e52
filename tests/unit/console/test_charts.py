"""Server-drawn charts: the geometry is exact and stays inside the drawing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pipeline.console.charts import HEIGHT, WIDTH, cumulative, daily_bars, nice_ceiling, short


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 5), (3, 5), (6, 10), (10, 10), (11, 20), (999, 1000), (1001, 2000)]
)
def test_axis_tops_are_round_and_split_into_whole_steps(value: int, ceiling: int) -> None:
    assert nice_ceiling(value) == ceiling
    assert ceiling % 5 == 0


def test_daily_bars_scale_to_the_largest_day_and_label_every_bar() -> None:
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(3)]
    chart = daily_bars(days, {"messages_in": {days[0]: 10, days[2]: 5}, "messages_out": {}})
    assert len(chart.bars) == 6
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.title == "Dec 1 messages_in: 10"
    assert tallest.y + tallest.height == pytest.approx(chart.bottom_y)
    assert [t.text for t in chart.y_ticks] == ["0", "2", "4", "6", "8", "10"]
    for bar in chart.bars:
        assert bar.x >= 0
        assert bar.x + bar.width <= WIDTH
        assert 0 <= bar.y <= HEIGHT


def test_the_running_total_meets_the_quota_line_at_the_limit() -> None:
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(4)]
    chart = cumulative(days, {days[0]: 500, days[3]: 500}, quota=1000)
    total, quota = dict(chart.lines)["total"], dict(chart.lines)["quota"]
    last_y = float(total.split()[-1].split(",")[1])
    quota_y = float(quota.split()[0].split(",")[1])
    assert last_y == pytest.approx(quota_y)
    assert chart.x_ticks[-1].anchor == "end"  # the last label does not run off the edge


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (950, "950"), (1000, "1k"), (1500, "1.5k"), (2_000_000, "2M")]
)
def test_axis_labels_are_short(value: int, text: str) -> None:
    assert short(value) == text


def test_no_quota_no_quota_line() -> None:
    days = [date(2026, 12, 1)]
    assert [name for name, _ in cumulative(days, {}, quota=None).lines] == ["total"]
