"""Where a failed event goes: the retry topic, the held topic or the DLQ (pure: no I/O).

* **retry** — anything that may work later: a vendor's retryable error (5xx, 429 with its
  ``Retry-After``, a timeout), a dependency that is down (PostgreSQL, Redis, Vault), a
  claim held by another worker, and — bounded by the attempt count — anything unexpected,
  which is more often a blip than a bug and must never be dropped.
* **held** — the event is fine but the tenant cannot take it now: its monthly quota is used
  up, or its credentials are missing. Kept apart from the DLQ because it is released, not
  repaired.
* **dlq** — retrying cannot help: a permanent vendor refusal, refused credentials, an
  unknown or suspended tenant, an invalid event — or the retry attempts are spent. (A
  customer's file that Meta no longer has, or that is too large, is not a DLQ case: the
  agent gets a note instead, see :mod:`pipeline.media.ingest`.)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal

import asyncpg
import redis.exceptions

from pipeline.kafka.retry import BackoffPolicy
from pipeline.worker.errors import CredentialsMissingError
from schemas.errors import WagenError
from tenancy.errors import QuotaExceededError

_INFRASTRUCTURE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


@dataclass(frozen=True)
class Decision:
    """What to do with a failed event.

    Attributes:
        destination: ``retry``, ``held`` or ``dlq``.
        code: the reason, a stable machine-readable string (``genesys_rate_limited``...).
        error: the failure in words (never a secret: error messages carry none).
        delay_s: for ``retry``, how long to wait before the next attempt.
        release_after_s: for ``held``, when the reason may lift by itself (quota reset).
    """

    destination: Literal["retry", "held", "dlq"]
    code: str
    error: str
    delay_s: float = 0.0
    release_after_s: float | None = None


def error_code(exc: BaseException) -> str:
    """The stable code of any exception: ours carry one, others are named by class."""
    return exc.code if isinstance(exc, WagenError) else type(exc).__name__


def printable(text: str) -> str:
    """``text`` fit for a Kafka header and a log line: a lone surrogate (an error quoting
    bad input) becomes its ``\\udXXX`` escape instead of failing the record's routing."""
    return text.encode("utf-8", errors="backslashreplace").decode("utf-8")


def decide(exc: BaseException, attempt: int, policy: BackoffPolicy) -> Decision:
    """Route the failure of attempt ``attempt`` (from 1) of an event."""
    code, text = error_code(exc), printable(str(exc) or type(exc).__name__)
    if isinstance(exc, QuotaExceededError):
        return Decision("held", code, text, release_after_s=float(exc.retry_after_s))
    if isinstance(exc, CredentialsMissingError):
        return Decision("held", code, text)
    # Unclassified: a dependency blip or a bug; retry either way (bounded), never drop.
    retriable = exc.retriable if isinstance(exc, WagenError) else True
    if not retriable:
        return Decision("dlq", code, text)
    if policy.exhausted(attempt):
        return Decision("dlq", "retries_exhausted", f"{code}: {text}")
    retry_after = getattr(exc, "retry_after", None)
    hint = float(retry_after) if isinstance(retry_after, int | float) else None
    return Decision("retry", code, text, delay_s=policy.delay_s(attempt, hint))


def is_infrastructure(exc: BaseException) -> bool:
    """A dependency of the worker failed (logged without a traceback: it is not a bug)."""
    return isinstance(exc, _INFRASTRUCTURE)


def log_failure(
    logger: logging.Logger,
    what: str,
    exc: Exception,
    decision: Decision,
    tenant: str,
    attempt: int,
) -> None:
    """Log a failed attempt and where it goes: ``"<what> failed: …"``, with a traceback
    only when the failure is neither classified nor a dependency blip (probably a bug)."""
    extra = {
        "tenant_id": tenant,
        "attempt": attempt,
        "destination": decision.destination,
        "code": decision.code,
        "delay_s": round(decision.delay_s, 3),
    }
    if not isinstance(exc, WagenError) and not is_infrastructure(exc):
        logger.exception("%s failed unexpectedly", what, extra=extra)
    else:
        logger.warning("%s failed: %s", what, decision.error, extra=extra)
