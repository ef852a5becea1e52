"""The retry-topic schedule and the headers that carry an event's attempts between topics.

An agent that fails with a retryable error does not sleep on its partition: it republishes
the record to ``<topic>.retry`` with the attempt count, the earliest time to try again
(``not_before_ms``) and the error, and moves on. The retry agent waits until that time and
runs the same handler again. After ``attempts`` tries the record goes to ``<topic>.dlq``
with every attempt's error in ``retry_history``, so an operator sees the whole story.

Pure functions only: the agents own the I/O.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Final

ATTEMPT: Final = "attempt"
NOT_BEFORE_MS: Final = "not_before_ms"
LAST_ERROR_CODE: Final = "last_error_code"
LAST_ERROR: Final = "last_error"
HISTORY: Final = "retry_history"

_RETRY_HEADERS: Final = frozenset({ATTEMPT, NOT_BEFORE_MS, LAST_ERROR_CODE, LAST_ERROR, HISTORY})
_MAX_HISTORY: Final = 50
_MAX_ERROR_TEXT: Final = 500


def now_ms() -> int:
    """Wall-clock milliseconds, the unit of every time header."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class BackoffPolicy:
    """Exponential backoff with jitter for the retry topic, honouring ``Retry-After``.

    Attributes:
        attempts: tries in all, counting the first; the last failure goes to the DLQ.
        base_delay_s: the wait after the first failure, doubled after each later one.
        max_delay_s: the longest backoff (a vendor's ``Retry-After`` may be longer: it wins).
    """

    attempts: int
    base_delay_s: float
    max_delay_s: float

    def exhausted(self, attempt: int) -> bool:
        """Whether failing attempt ``attempt`` (from 1) was the last one allowed."""
        return attempt >= self.attempts

    def delay_s(
        self,
        attempt: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after failed attempt ``attempt`` (from 1).

        "Equal jitter": between half and all of the backoff, so retries of a burst spread
        out but never bunch at zero. A ``Retry-After`` is a floor: waiting less is a
        guaranteed second 429.
        """
        backoff = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        jittered = backoff / 2 + rand() * backoff / 2
        return max(jittered, retry_after or 0.0)


@dataclass(frozen=True)
class AttemptRecord:
    """One failed attempt, as kept in ``retry_history``."""

    attempt: int
    at_ms: int
    code: str
    error: str


def header_int(headers: Mapping[str, bytes], name: str, default: int = 0) -> int:
    """A numeric header (counts, millisecond times), or ``default`` when it is not one.

    At most 15 ASCII digits (a time in ms until the year 33658): a longer value is garbage,
    and ``int()`` of thousands of digits raises instead of answering.
    """
    raw = headers.get(name, b"")
    return int(raw) if raw.isdigit() and len(raw) <= 15 else default


def attempts_made(headers: Mapping[str, bytes]) -> int:
    """How many attempts a record has had (0 for a record never retried)."""
    return header_int(headers, ATTEMPT)


def not_before_ms(headers: Mapping[str, bytes]) -> int:
    """The earliest time (ms) a retry record may be tried again (0: at once)."""
    return header_int(headers, NOT_BEFORE_MS)


def history(headers: Mapping[str, bytes]) -> list[AttemptRecord]:
    """The failed attempts recorded so far (an unreadable header counts as none)."""
    try:
        entries = json.loads(headers.get(HISTORY, b"[]"))
        return [AttemptRecord(**entry) for entry in entries]
    except (ValueError, TypeError, RecursionError):
        return []


def with_failure(
    headers: Mapping[str, bytes], *, attempt: int, code: str, error: str, at_ms: int
) -> list[AttemptRecord]:
    """The history of ``headers`` plus this failure (the oldest dropped beyond a bound)."""
    entry = AttemptRecord(attempt=attempt, at_ms=at_ms, code=code, error=error[:_MAX_ERROR_TEXT])
    return [*history(headers), entry][-_MAX_HISTORY:]


def retry_headers(
    original: Mapping[str, bytes],
    *,
    attempt: int,
    not_before: int,
    failures: list[AttemptRecord],
) -> list[tuple[str, bytes]]:
    """Headers of the retry record after failed attempt ``attempt``: the original's facts
    (tenant, request id, kind, event id) plus the schedule and the errors."""
    last = failures[-1]
    kept = [(k, v) for k, v in original.items() if k not in _RETRY_HEADERS]
    added = {
        ATTEMPT: str(attempt),
        NOT_BEFORE_MS: str(not_before),
        LAST_ERROR_CODE: last.code,
        LAST_ERROR: last.error,
        HISTORY: history_json(failures),
    }
    return kept + [(k, v.encode()) for k, v in added.items()]


def history_json(failures: list[AttemptRecord]) -> str:
    """The ``retry_history`` header value."""
    return json.dumps([asdict(f) for f in failures], separators=(",", ":"))
