"""Kafka record plumbing shared by the agents: headers in and out, DLQ records.

Headers carry what an operator needs to follow a record without decoding its value:
tenant, source, when the gateway received it, the request id that follows a message
from webhook to delivery, and — on DLQ records — why it is there.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from pipeline.kafka.retry import header_int

_LAST_MS: Final = 253_402_300_799_000  # 9999-12-31T23:59:59Z


@dataclass(frozen=True)
class RecordContext:
    """The facts the gateway put in a raw webhook record's headers."""

    tenant_id: str
    received_at: datetime
    request_id: str

    @classmethod
    def from_headers(cls, headers: Mapping[str, bytes]) -> RecordContext:
        """Read the gateway's headers; a record without a tenant cannot be routed."""
        tenant = headers.get("tenant_id", b"").decode(errors="replace")
        if not tenant:
            raise ValueError("record has no tenant_id header")
        now_ms = time.time_ns() // 1_000_000
        millis = header_int(headers, "received_at_ms", now_ms)
        if millis > _LAST_MS:  # beyond what a datetime holds: the header is garbage
            millis = now_ms
        return cls(
            tenant_id=tenant,
            received_at=datetime.fromtimestamp(millis / 1000, tz=UTC),
            request_id=headers.get("request_id", b"").decode(errors="replace"),
        )

    def headers(self, **extra: str) -> list[tuple[str, bytes]]:
        """Headers for a record derived from this one (same tenant and request id)."""
        received_ms = int(self.received_at.timestamp() * 1000)
        pairs = {
            "tenant_id": self.tenant_id,
            "received_at_ms": str(received_ms),
            "request_id": self.request_id,
            **extra,
        }
        return [(name, header_value(value)) for name, value in pairs.items()]


def dlq_headers(
    original: Mapping[str, bytes], *, source_topic: str, error_code: str, error: str
) -> list[tuple[str, bytes]]:
    """The original headers plus why and when the record was dead-lettered."""
    reasons = {
        "dlq_source_topic": source_topic,
        "dlq_error_code": error_code,
        "dlq_error": error[:1000],
        "dlq_at_ms": str(time.time_ns() // 1_000_000),
    }
    kept = [(k, v) for k, v in original.items() if not k.startswith("dlq_")]
    return kept + [(k, header_value(v)) for k, v in reasons.items()]


def header_value(text: str) -> bytes:
    """``text`` as a header value: UTF-8, a lone surrogate (from an error quoting bad
    input) written as its ``\\udXXX`` escape rather than failing the record."""
    return text.encode("utf-8", errors="backslashreplace")
