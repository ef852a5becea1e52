"""The ids that follow one message from its webhook to its delivery, for every log line.

The gateway gives each webhook request a correlation id: the caller's ``X-Request-Id`` (or
``X-Correlation-Id``) when it is sane, else a new one. It is echoed in the response and
stored on the Kafka record as the ``request_id`` header; every record derived from that one
(split events, retries, held entries, DLQ entries, replays) keeps the header.

Code handling one message binds the ids with :func:`bound`; they live in a contextvar, so
they follow the work across ``await`` and into the tasks it starts, and stop at the end of
the ``with`` block. :class:`CorrelationFilter`, installed on the log handler, copies them
onto every record emitted meanwhile — ours, the connectors', aiokafka's — so no call has to
pass them along.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import asdict, dataclass, replace
from typing import Any, Final, TypeVar

T = TypeVar("T")

CORRELATION_HEADER: Final = "request_id"
"""The Kafka record header carrying the correlation id (its name predates the log fields)."""

MESSAGE_ID_HEADER: Final = "message_id"
"""The Kafka record header carrying the vendor message id of a derived event, when known."""

EVENT_ID_HEADER: Final = "event_id"
"""The Kafka record header carrying wagen's event id of a derived event."""

REQUEST_ID_HTTP_HEADER: Final = "X-Request-Id"
CORRELATION_ID_HTTP_HEADER: Final = "X-Correlation-Id"

# Printable, short, no separators a log or header parser would trip on.
_SANE: Final = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class LogContext:
    """What the work in progress concerns; ``None`` is "not known here".

    Attributes:
        correlation_id: the id of the webhook request the work descends from.
        tenant_id: the tenant.
        message_id: the vendor's message id (a Meta wamid, a Genesys message id).
        event_id: wagen's own event id (a UUID derived from the vendor ids).
        conversation: ``tenant_id:wa_id``.
    """

    correlation_id: str | None = None
    tenant_id: str | None = None
    message_id: str | None = None
    event_id: str | None = None
    conversation: str | None = None

    def fields(self) -> dict[str, str]:
        """The known facts, by log field name."""
        return {name: value for name, value in asdict(self).items() if value}

    @classmethod
    def from_headers(cls, headers: Mapping[str, bytes]) -> LogContext:
        """The facts a Kafka record's headers carry (the gateway's and the split agent's)."""

        def text(name: str) -> str | None:
            return headers.get(name, b"").decode(errors="replace") or None

        return cls(
            correlation_id=text(CORRELATION_HEADER),
            tenant_id=text("tenant_id"),
            message_id=text(MESSAGE_ID_HEADER),
            event_id=text(EVENT_ID_HEADER),
        )


_NOTHING: Final = LogContext()
_CURRENT: ContextVar[LogContext | None] = ContextVar("wagen_log_context", default=None)


def current() -> LogContext:
    """The facts bound in this task."""
    return _CURRENT.get() or _NOTHING


@contextmanager
def bound(facts: LogContext) -> Iterator[LogContext]:
    """Add ``facts`` (their known fields) to what is bound, for the ``with`` block."""
    merged = replace(current(), **facts.fields())
    token = _CURRENT.set(merged)
    try:
        yield merged
    finally:
        _CURRENT.reset(token)


async def unbound(work: Coroutine[Any, Any, T]) -> T:
    """Await ``work`` with no facts bound, in a task of its own.

    For starting long-lived clients on first use: the background tasks they start copy the
    context they start in, and would otherwise stamp the first message's ids on their log
    lines forever.
    """
    context = copy_context()
    context.run(_CURRENT.set, None)
    return await asyncio.create_task(work, context=context)


def new_id() -> str:
    """A fresh correlation id."""
    return uuid.uuid4().hex


def is_sane(value: str) -> bool:
    """Whether a caller's id may be used as ours (short, printable, no separators)."""
    return bool(_SANE.match(value))


def incoming_id(headers: Mapping[str, str]) -> str | None:
    """The caller's ``X-Request-Id``, else its ``X-Correlation-Id``, when sane."""
    for name in (REQUEST_ID_HTTP_HEADER, CORRELATION_ID_HTTP_HEADER):
        given = headers.get(name, "")
        if is_sane(given):
            return given
    return None


class CorrelationFilter(logging.Filter):
    """Stamps the bound facts on each record that does not carry them already."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current().fields().items():
            # An explicit ``extra=`` wins; an explicit ``None`` is "not known here".
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True
