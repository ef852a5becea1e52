"""The in-process retry schedule of vendor calls: which failures, how long to wait, how often.

Only transient failures are retried here (``RETRYABLE`` and ``RATE_LIMITED``), a bounded
number of times. Anything longer than a short wait (a ``Retry-After`` beyond the cap, the last
attempt spent) is raised with its classification, so the pipeline parks the work on its retry
topic instead of holding a worker. A token refresh (Genesys 401) is the client's business,
not this schedule's.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from connectors.errors import ConnectorError, ConnectorTransportError, ErrorCategory

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRIED_CATEGORIES = frozenset({ErrorCategory.RETRYABLE, ErrorCategory.RATE_LIMITED})
"""Categories worth another attempt in-process."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A bounded exponential backoff with jitter that honours ``Retry-After``.

    Attributes:
        attempts: attempts in all, counting the first (1 = never retry).
        base_delay_s: the wait before the second attempt, doubled for each later one.
        max_delay_s: the longest backoff wait.
        max_retry_after_s: the longest ``Retry-After`` waited in-process; a longer one is
            raised at once, carrying ``retry_after`` for the caller's own schedule.
    """

    attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_retry_after_s: float = 30.0

    def wait_before_retry(
        self, error: ConnectorError, attempt: int, *, idempotent: bool
    ) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to raise ``error`` now.

        Args:
            error: the classified failure of attempt ``attempt``.
            attempt: the attempt that failed, from 1.
            idempotent: whether repeating the call cannot do its effect twice. A call that
                may have reached the vendor (timeout, reset) is only repeated when it is.
        """
        if attempt >= self.attempts or not error.retriable:
            return None
        category = getattr(error, "category", None)
        if category not in RETRIED_CATEGORIES:
            return None
        if isinstance(error, ConnectorTransportError) and error.maybe_sent and not idempotent:
            return None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float):
            return float(retry_after) if retry_after <= self.max_retry_after_s else None
        backoff = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        # "Equal jitter": at least half the backoff, so retries never bunch up at zero.
        return backoff / 2 + random.uniform(0, backoff / 2)  # noqa: S311 (jitter, not crypto)


async def call_with_retries(
    attempt_call: Callable[[int], Awaitable[T]],
    policy: RetryPolicy,
    *,
    idempotent: bool,
    what: str,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run ``attempt_call(attempt)`` until it succeeds or the policy says stop.

    The error finally raised carries ``attempts``, the number of attempts made.

    Args:
        attempt_call: one attempt; raises a classified :class:`ConnectorError` on failure.
        policy: the schedule.
        idempotent: see :meth:`RetryPolicy.wait_before_retry`.
        what: names the call in log lines (never a secret).
        sleep: the waiting function (tests may pass a recorder).
    """
    attempt = 1
    while True:
        try:
            return await attempt_call(attempt)
        except ConnectorError as error:
            error.attempts = attempt
            wait = policy.wait_before_retry(error, attempt, idempotent=idempotent)
            if wait is None:
                raise
            log.warning(
                "retrying %s after %s",
                what,
                error.code,
                extra={"attempt": attempt, "wait_s": round(wait, 3), "tenant_id": error.tenant_id},
            )
            await sleep(wait)
            attempt += 1
