"""A logger wired to the production handler (filters and format), writing to a buffer."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from pipeline.settings import LogSettings
from pipeline.telemetry.logging import log_handler


@dataclass
class Captured:
    """A logger whose records go through :func:`pipeline.telemetry.logging.log_handler`."""

    log: logging.Logger
    buffer: io.StringIO

    @property
    def text(self) -> str:
        """Everything written so far."""
        return self.buffer.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every JSON line written so far."""
        return [json.loads(line) for line in self.text.splitlines()]


def _captured(json_lines: bool) -> Iterator[Captured]:
    handler = log_handler(LogSettings(level="DEBUG", json_lines=json_lines))
    buffer = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    # A logger of its own, not the root: tests do not touch the process's logging.
    log = logging.getLogger(f"wagen-test.{uuid.uuid4().hex}")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        yield Captured(log, buffer)
    finally:
        log.removeHandler(handler)


@pytest.fixture
def captured() -> Iterator[Captured]:
    """JSON lines."""
    yield from _captured(json_lines=True)


@pytest.fixture
def captured_text() -> Iterator[Captured]:
    """Plain text lines."""
    yield from _captured(json_lines=False)
