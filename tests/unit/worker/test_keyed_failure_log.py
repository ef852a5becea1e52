"""A record that fails past its handler's routing is logged with the record's ids."""

from __future__ import annotations

import io
import json
import logging

import pytest

from pipeline.settings import LogSettings
from pipeline.telemetry.correlation import LogContext, bound
from pipeline.telemetry.logging import log_handler
from pipeline.worker.keyed_agent import carry_logging_failure


async def test_the_failure_line_carries_the_records_correlation_id() -> None:
    handler = log_handler(LogSettings(level="DEBUG", json_lines=True))
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    logger = logging.getLogger("pipeline.worker.keyed_agent")
    logger.addHandler(handler)

    async def publish_fails() -> None:
        raise ConnectionError("kafka gone")

    try:
        with (
            bound(LogContext(correlation_id="req-7", tenant_id="acme", conversation="acme:1")),
            pytest.raises(ConnectionError),
        ):
            await carry_logging_failure(publish_fails())
    finally:
        logger.removeHandler(handler)
    (line,) = [json.loads(text) for text in buffer.getvalue().splitlines()]
    assert line["msg"] == "record failed past its handler's routing; the agent stops"
    assert (line["correlation_id"], line["tenant_id"], line["conversation"]) == (
        "req-7",
        "acme",
        "acme:1",
    )
    assert "ConnectionError: kafka gone" in line["exc"]
