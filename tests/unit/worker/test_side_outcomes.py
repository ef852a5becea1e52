"""Every outcome of the side handlers (echoes, calls, preferences) is a metric label of its own,
not folded into ``other``."""

from __future__ import annotations

from typing import get_args

from pipeline.metrics.record import OUTCOMES
from pipeline.worker.accounting import PreferenceResult
from pipeline.worker.calls import CallResult
from pipeline.worker.echoes import EchoResult


def test_every_side_outcome_is_a_known_metric_label() -> None:
    outcomes = {
        value for kind in (EchoResult, CallResult, PreferenceResult) for value in get_args(kind)
    }
    assert outcomes == {
        "echo_delivered",
        "call_notice_sent",
        "call_ignored",
        "duplicate",
        "preference_recorded",
        "preference_stale",
        "preference_ignored",
    }
    assert outcomes <= OUTCOMES
