"""Requests aiohttp cannot parse: one short line now and then, not a traceback each.

aiohttp answers a request it cannot parse (a bad request line, a header over the limit,
broken chunking) with 400 itself — no handler of ours runs — and logs each at ERROR with
a full traceback. Anyone able to reach the port could fill the logs that way. The filter
turns those records into a one-line WARNING without the traceback, at most one per
``every_s`` seconds; the next line says how many it left out meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

from aiohttp.http_exceptions import HttpProcessingError

AIOHTTP_SERVER_LOGGER: Final = "aiohttp.server"
_MAX_DETAIL: Final = 200


class MalformedRequestFilter(logging.Filter):
    """Shortens and thins aiohttp's records about requests refused as malformed."""

    def __init__(self, every_s: float = 10.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self._every_s = every_s
        self._clock = clock
        self._last: float | None = None
        self._left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass other records untouched; rewrite or drop a malformed-request record."""
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        now = self._clock()
        if self._last is not None and now - self._last < self._every_s:
            self._left_out += 1
            return False
        detail = " ".join(str(exc.message).split())[:_MAX_DETAIL]
        record.msg = "malformed HTTP request refused with %s: %s: %s (%d more since the last line)"
        record.args = (exc.code, type(exc).__name__, detail, self._left_out)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        self._last, self._left_out = now, 0
        return True


def thin_malformed_request_logs(every_s: float = 10.0) -> MalformedRequestFilter:
    """Attach the filter to aiohttp's server logger (once per process); return it."""
    logger = logging.getLogger(AIOHTTP_SERVER_LOGGER)
    for existing in logger.filters:
        if isinstance(existing, MalformedRequestFilter):
            return existing
    added = MalformedRequestFilter(every_s)
    logger.addFilter(added)
    return added
