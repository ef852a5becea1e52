"""aiohttp's records about malformed requests: one short WARNING now and then."""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import LineTooLong

from pipeline.gateway.malformed_requests import (
    AIOHTTP_SERVER_LOGGER,
    MalformedRequestFilter,
    thin_malformed_request_logs,
)
from tests.unit.fake_clock import FakeClock


def _record(
    exc: BaseException | None, msg: str = "Error handling request from %s"
) -> logging.LogRecord:
    info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord(
        AIOHTTP_SERVER_LOGGER, logging.ERROR, __file__, 1, msg, ("127.0.0.1",), info
    )


def test_a_malformed_request_becomes_one_warning_line_without_traceback() -> None:
    thinning = MalformedRequestFilter(every_s=10, clock=FakeClock(100.0))
    record = _record(LineTooLong(b"GET /aaaa", 8190))

    assert thinning.filter(record)

    assert record.levelno == logging.WARNING
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert record.getMessage() == (
        "malformed HTTP request refused with 400: LineTooLong: Got more than 8190 bytes when "
        "reading: b'GET /aaaa'. (0 more since the last line)"
    )


def test_further_ones_are_counted_until_the_interval_has_passed() -> None:
    clock = FakeClock(100.0)
    thinning = MalformedRequestFilter(every_s=10, clock=clock)
    assert thinning.filter(_record(LineTooLong(b"x", 1)))
    clock.now += 5
    assert not thinning.filter(_record(LineTooLong(b"x", 1)))
    assert not thinning.filter(_record(LineTooLong(b"x", 1)))
    clock.now += 5
    later = _record(LineTooLong(b"x", 1))
    assert thinning.filter(later)
    assert later.getMessage().endswith("(2 more since the last line)")


def test_other_records_pass_untouched() -> None:
    thinning = MalformedRequestFilter(every_s=10, clock=FakeClock(100.0))
    ours = _record(RuntimeError("boom"), "Unhandled exception")
    plain = _record(None, "server started on %s")
    assert thinning.filter(ours)
    assert thinning.filter(plain)
    assert ours.levelno == logging.ERROR
    assert ours.exc_info is not None
    assert plain.getMessage() == "server started on 127.0.0.1"


def test_the_filter_is_attached_once() -> None:
    logger = logging.getLogger(AIOHTTP_SERVER_LOGGER)
    before = list(logger.filters)
    try:
        first = thin_malformed_request_logs()
        assert thin_malformed_request_logs() is first
        assert sum(isinstance(f, MalformedRequestFilter) for f in logger.filters) == 1
    finally:
        logger.filters[:] = before
