"""The held releaser's timer survives a dependency outage instead of crashing the worker."""

from __future__ import annotations

import logging

import pytest

from pipeline.worker.held_releaser import guarded
from tenancy.vault import VaultUnavailableError


async def test_a_tick_failing_on_a_dependency_is_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def vault_down() -> None:
        raise VaultUnavailableError("vault ConnectionError at http://127.0.0.1:8200")

    with caplog.at_level(logging.WARNING, logger="pipeline.worker.held_releaser"):
        await guarded(vault_down)  # does not raise: the next tick tries again
    [entry] = caplog.records
    assert entry.levelno == logging.WARNING
    assert "vault ConnectionError" in entry.getMessage()
    assert entry.exc_info is None


async def test_an_unexpected_failure_keeps_its_traceback_and_is_skipped_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def bug() -> None:
        raise KeyError("surprise")

    with caplog.at_level(logging.WARNING, logger="pipeline.worker.held_releaser"):
        await guarded(bug)
    [entry] = caplog.records
    assert entry.levelno == logging.ERROR
    assert entry.exc_info is not None


async def test_a_tick_that_works_is_run_once() -> None:
    runs: list[int] = []

    async def tick() -> None:
        runs.append(1)

    await guarded(tick)
    assert runs == [1]
