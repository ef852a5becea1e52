"""``configure_logging``: one root handler, its filters, and warnings in the same shape."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from collections.abc import Iterator

import pytest

from pipeline.settings import LogSettings
from pipeline.telemetry.correlation import CorrelationFilter, LogContext, bound
from pipeline.telemetry.logging import JsonFormatter, configure_logging
from pipeline.telemetry.redaction import RedactionFilter


@pytest.fixture
def root_restored() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield root
    finally:
        logging.captureWarnings(False)
        root.handlers[:] = handlers
        root.setLevel(level)


@contextlib.contextmanager
def _fresh_loggers(*names: str) -> Iterator[None]:
    """Loggers as a fresh process has them: another test may have run Faust's or mode's
    logging setup, which disables or levels library loggers."""
    saved = [(logger, logger.disabled, logger.level, logger.propagate)
             for logger in map(logging.getLogger, names)]  # fmt: skip
    for logger, *_ in saved:
        logger.disabled, logger.propagate = False, True
        logger.setLevel(logging.NOTSET)
    try:
        yield
    finally:
        for logger, disabled, level, propagate in saved:
            logger.disabled, logger.propagate = disabled, propagate
            logger.setLevel(level)


def test_json_lines_from_any_logger_carry_ids_without_secrets(
    root_restored: logging.Logger,
) -> None:
    # captureWarnings(True) is a no-op when an earlier test of this process already called
    # it (pytest has since restored showwarning): start from a process that never did.
    logging.captureWarnings(False)
    configure_logging(LogSettings(level="DEBUG", json_lines=True))
    [handler] = root_restored.handlers
    assert isinstance(handler, logging.StreamHandler)
    assert isinstance(handler.formatter, JsonFormatter)
    assert [type(f) for f in handler.filters] == [CorrelationFilter, RedactionFilter]
    buffer = io.StringIO()
    handler.setStream(buffer)
    ids = LogContext(correlation_id="req-9", tenant_id="acme")
    with _fresh_loggers("faust.agents", "py.warnings"), bound(ids), warnings.catch_warnings():
        logging.getLogger("faust.agents").debug("agent started", extra={"token": "t0k3n-1234"})
        warnings.simplefilter("always")
        warnings.warn("old api", DeprecationWarning, stacklevel=1)
    faust_line, warning_line = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert faust_line["logger"] == "faust.agents"
    assert (faust_line["correlation_id"], faust_line["tenant_id"]) == ("req-9", "acme")
    assert faust_line["token"] == "[REDACTED]"
    assert warning_line["logger"] == "py.warnings"
    assert "DeprecationWarning: old api" in warning_line["msg"]
    assert warning_line["ts"].endswith("+00:00")


def test_the_level_applies_to_the_root(root_restored: logging.Logger) -> None:
    configure_logging(LogSettings(level="WARNING"))
    assert root_restored.level == logging.WARNING
