"""Correlation ids: bound per message, stamped on every record, never leaking across tasks."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pipeline.telemetry.correlation import (
    LogContext,
    bound,
    current,
    incoming_id,
    is_sane,
    unbound,
)
from tests.unit.logging.conftest import Captured


def test_bound_facts_are_stamped_on_every_record_and_dropped_after(captured: Captured) -> None:
    with bound(LogContext(correlation_id="req-1", tenant_id="acme")):
        captured.log.info("received")
        with bound(LogContext(message_id="wamid.1", conversation="acme:15551234567")):
            captured.log.debug("split")
        captured.log.info("stored")
    captured.log.info("idle")
    received, split, stored, idle = captured.lines()
    assert (received["correlation_id"], received["tenant_id"]) == ("req-1", "acme")
    assert "message_id" not in received
    assert split["correlation_id"] == "req-1"
    assert (split["message_id"], split["conversation"]) == ("wamid.1", "acme:15551234567")
    assert "message_id" not in stored
    assert not {"correlation_id", "tenant_id"} & set(idle)


def test_an_explicit_extra_wins_and_an_explicit_none_does_not(captured: Captured) -> None:
    with bound(LogContext(correlation_id="req-1", tenant_id="acme")):
        captured.log.info("other tenant", extra={"tenant_id": "globex"})
        captured.log.info("unknown tenant", extra={"tenant_id": None})
    explicit, unknown = captured.lines()
    assert explicit["tenant_id"] == "globex"
    assert unknown["tenant_id"] == "acme"


def test_a_record_from_another_library_gets_the_ids(captured: Captured) -> None:
    library = logging.getLogger("aiokafka.producer.sender")
    library.addHandler(captured.log.handlers[0])
    try:
        with bound(LogContext(correlation_id="req-7")):
            library.warning("metadata refreshed")
    finally:
        library.removeHandler(captured.log.handlers[0])
    [line] = captured.lines()
    assert (line["logger"], line["correlation_id"]) == ("aiokafka.producer.sender", "req-7")


async def test_concurrent_messages_keep_their_own_ids(captured: Captured) -> None:
    async def handle(rid: str) -> None:
        with bound(LogContext(correlation_id=rid)):
            for step in range(3):
                captured.log.info("step %d of %s", step, rid)
                await asyncio.sleep(0)

    await asyncio.gather(*(handle(f"req-{n}") for n in range(4)))
    lines = captured.lines()
    assert len(lines) == 12
    assert all(line["msg"].endswith(line["correlation_id"]) for line in lines)


async def test_a_task_started_while_bound_carries_the_ids_and_unbound_does_not() -> None:
    async def seen() -> LogContext:
        return current()

    with bound(LogContext(correlation_id="req-1", tenant_id="acme")):
        inherited = await asyncio.create_task(seen())
        detached = await unbound(seen())
        assert current().correlation_id == "req-1"  # unbound() changed nothing here
    assert inherited.correlation_id == "req-1"
    assert detached == LogContext()


def test_record_headers_give_the_facts() -> None:
    headers = {
        "request_id": b"req-1",
        "tenant_id": b"acme",
        "message_id": b"wamid.1",
        "event_id": b"6b0c",
        "source": b"meta",
    }
    assert LogContext.from_headers(headers) == LogContext(
        correlation_id="req-1", tenant_id="acme", message_id="wamid.1", event_id="6b0c"
    )
    assert LogContext.from_headers({"message_id": b""}) == LogContext()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Request-Id": "abc-123"}, "abc-123"),
        ({"X-Correlation-Id": "corr.9:1"}, "corr.9:1"),
        ({"X-Request-Id": "first", "X-Correlation-Id": "second"}, "first"),
        ({"X-Request-Id": "has space", "X-Correlation-Id": "ok-1"}, "ok-1"),
        ({"X-Request-Id": "x" * 65}, None),
        ({"X-Request-Id": 'a"}\nfake'}, None),
        ({}, None),
    ],
)
def test_an_incoming_id_is_taken_only_when_sane(
    headers: dict[str, str], expected: str | None
) -> None:
    assert incoming_id(headers) == expected


def test_sane_ids() -> None:
    assert is_sane("0f1e2d3c4b5a")
    assert not is_sane("")
