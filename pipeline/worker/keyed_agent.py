"""The loop every forwarding agent runs: records by conversation, in order, acked safely.

An agent reads its stream with manual acks (``stream.noack()``) and hands each record to a
:class:`~pipeline.worker.scheduler.KeyedScheduler` under its conversation key, so one slow
or paced tenant delays only its own conversations, and an offset is acknowledged only when
every earlier record of its partition is done.

:class:`OrderedDelivery` adds the rule of :mod:`pipeline.worker.order` on top: a main-topic
record whose conversation has a message on the retry topic joins the line there instead of
being carried; a retry-topic record is carried on its turn only, after its not-before time
(waited for in its own task: other conversations of the partition go on meanwhile).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol

import faust
import redis.exceptions

from pipeline.kafka import retry
from pipeline.settings import PacingSettings
from pipeline.store.journey import Position
from pipeline.telemetry.correlation import LogContext, bound
from pipeline.worker.order import PARK_SEQ, ConversationOrder, park_seq
from pipeline.worker.resources import WorkerClients, WorkerResources
from pipeline.worker.routing import Decision
from pipeline.worker.scheduler import KeyedScheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    """One Kafka record as the handlers see it."""

    key: bytes | None
    value: bytes
    headers: dict[str, bytes]
    position: Position | None = None
    """Where the record sits on Kafka (for the message's journey); None in unit tests."""

    @property
    def tenant(self) -> str:
        """The tenant named by the gateway's header (empty when missing)."""
        return self.headers.get("tenant_id", b"").decode(errors="replace")


class Handler(Protocol):
    """What :class:`OrderedDelivery` needs of an agent's handler."""

    async def attempt(self, record: Record, attempt: int) -> Decision | None:
        """Run attempt ``attempt``; the failure's routing, or ``None`` when handled."""

    async def publish(
        self,
        decision: Decision,
        record: Record,
        attempt: int,
        extra: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """Send a failed record where ``decision`` says."""

    async def defer(self, record: Record, place: int) -> None:
        """Put the record (unchanged, with its place) at the end of the retry topic."""


class OrderedDelivery:
    """Carries records of one source topic in conversation order, across its retry topic."""

    def __init__(self, handler: Handler, order: ConversationOrder) -> None:
        self._handler = handler
        self._order = order

    async def _safely(self, step: Awaitable[int | None], conversation: str) -> int | None:
        try:
            return await step
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning(
                "conversation order unavailable, carrying without it: %s",
                type(exc).__name__,
                extra={"conversation": conversation},
            )
            return None

    async def first(self, conversation: str, record: Record) -> None:
        """A main-topic record: carried now, unless its conversation has a line."""
        place = await self._safely(self._order.follow(conversation), conversation)
        if place is not None:
            await self._handler.defer(record, place)
            return
        await self._carry(conversation, record, 1, None)

    async def again(self, conversation: str, record: Record) -> None:
        """A retry-topic record: carried on its turn, once its not-before time has come."""
        place = park_seq(record.headers)
        if place is not None:
            head = await self._safely(self._order.head(conversation), conversation)
            if head is not None and place < head:
                log.info("retry record already carried: dropped", extra={"place": place})
                return
            if head is not None and place > head:
                # An earlier message of the conversation went back to the retry topic after
                # this one was queued: go behind it again.
                await self._handler.defer(record, place)
                await self._safely(self._order.touch(conversation), conversation)
                return
        wait_ms = retry.not_before_ms(record.headers) - retry.now_ms()
        if wait_ms > 0:
            await asyncio.sleep(wait_ms / 1000)
        await self._carry(conversation, record, retry.attempts_made(record.headers) + 1, place)

    async def _carry(
        self, conversation: str, record: Record, attempt: int, place: int | None
    ) -> None:
        log.debug("record taken", extra={"attempt": attempt})
        decision = await self._handler.attempt(record, attempt)
        if decision is not None and decision.destination == "retry":
            if place is None:
                place = await self._safely(self._order.park(conversation), conversation)
            extra = [] if place is None else [(PARK_SEQ, str(place).encode())]
            await self._handler.publish(decision, record, attempt, extra)
            return
        if decision is not None:
            await self._handler.publish(decision, record, attempt)
        if place is not None:
            await self._safely(self._order.leave(conversation, place), conversation)


async def carry_logging_failure(work: Awaitable[None]) -> None:
    """Run a record's work; a failure past its handler's routing is logged here, while the
    record's ids are still bound, before the scheduler stops the agent with it."""
    try:
        await work
    except Exception:
        log.exception("record failed past its handler's routing; the agent stops")
        raise


def conversation_or_fallback(conversation_of: Callable[[Record], str], record: Record) -> str:
    """The record's conversation key, fit for Redis and logs; never raises.

    Reading the key from a body is the agent's first touch of the record, before any
    routing: a body nobody foresaw must fall back to the tenant (the handler then routes
    the record), not stop the agent.
    """
    try:
        key = conversation_of(record)
    except Exception:
        log.warning("no conversation key in the record: the tenant's is used", exc_info=True)
        key = record.tenant
    # A lone surrogate (from a body's id) cannot go to Redis as UTF-8: keep its escape.
    return key.encode("utf-8", errors="backslashreplace").decode("utf-8")


def record_of(event: faust.EventT[bytes]) -> Record:
    """The key, value and headers of a raw-bytes event."""
    headers: Mapping[str, bytes] = dict(event.headers or {})
    value = event.value if isinstance(event.value, bytes) else b""
    key = event.key if isinstance(event.key, bytes) else None
    message = event.message
    position = Position(message.topic, message.partition, message.offset)
    return Record(key=key, value=value, headers=dict(headers), position=position)


async def run_in_key_order(
    stream: faust.StreamT[bytes],
    max_in_flight: int,
    max_unacked: int,
    conversation_of: Callable[[Record], str],
    carry: Callable[[str, Record], Awaitable[None]],
) -> None:
    """An agent body: each record carried by ``carry`` in its conversation's order.

    The scheduler lives as long as this run of the agent; its unfinished work is cancelled
    with it (never acked, so replayed by whoever consumes the partition next).

    Work that raises past its handler's own routing (publishing to Kafka failed) crashes the
    worker: the record is not acknowledged and its conversation cannot go on, and a restarted
    agent would read on from the fetch position, past it — a fresh process starts from the
    committed offset instead, before it.
    """
    if not isinstance(stream, faust.Stream):  # noack() is not on StreamT
        raise TypeError(f"a keyed agent needs a faust.Stream, got {type(stream).__name__}")
    app, crashing = stream.app, set[asyncio.Task[None]]()

    def crash(exc: BaseException) -> None:
        task = asyncio.ensure_future(app.crash(exc))
        crashing.add(task)  # held until done: a bare future may be collected mid-way
        task.add_done_callback(crashing.discard)

    scheduler = KeyedScheduler(max_in_flight, max_unacked, on_failure=crash)
    try:
        async for event in stream.noack().events():
            record = record_of(event)
            conversation = conversation_or_fallback(conversation_of, record)
            await scheduler.submit(
                event.message.tp, conversation, partial(carry, conversation, record), event.ack
            )
    finally:
        await scheduler.close()


@dataclass(frozen=True)
class KeyedAgentContext:
    """What a pair of keyed agents (a topic and its retry topic) is built from.

    Attributes:
        handler: runs one record and publishes its failure.
        resources: the worker's clients (Redis for the conversation lines).
        source: the main topic's name (the lines of each topic are apart).
        pacing: ``max_in_flight`` and the line markers' expiry.
        redis_prefix: the deployment's Redis key prefix.
        conversation_of: the scheduling and ordering key of a record.
        log_facts: what a record's log lines carry beyond its headers' ids (correlation,
            tenant, message, event) and its conversation key — e.g. read from its body.
    """

    handler: Handler
    resources: WorkerResources
    source: str
    pacing: PacingSettings
    redis_prefix: str
    conversation_of: Callable[[Record], str]
    log_facts: Callable[[Record], LogContext] | None = None


def register_keyed_agents(
    app: faust.App,
    main: tuple[faust.TopicT, str],
    retries: tuple[faust.TopicT, str],
    context: KeyedAgentContext,
) -> None:
    """Attach an agent to ``main`` and one to its retry topic, both keyed and in order."""
    built: tuple[WorkerClients, OrderedDelivery] | None = None

    def delivery() -> OrderedDelivery:
        # Built on first use (Redis opens after registration), rebuilt after a restart of
        # the resources: never a line on a closed client.
        nonlocal built
        clients = context.resources.clients
        if built is None or built[0] is not clients:
            order = ConversationOrder(
                clients.resources.redis,
                key_prefix=context.redis_prefix,
                source=context.source,
                ttl_s=context.pacing.order_marker_ttl_s,
            )
            built = (clients, OrderedDelivery(context.handler, order))
        return built[1]

    def facts(conversation: str, record: Record) -> LogContext:
        # Bound for the record's whole run (its own task): every log line on the way, the
        # connectors' included, carries its correlation id without being handed it.
        known = replace(LogContext.from_headers(record.headers), conversation=conversation)
        if context.log_facts is None:
            return known
        try:
            extra = context.log_facts(record).fields()
        except Exception:  # log facts are a comfort: never a reason to stop the agent
            log.warning("no log facts in the record", exc_info=True)
            return known
        return replace(known, **extra)

    async def first(conversation: str, record: Record) -> None:
        with bound(facts(conversation, record)):
            await carry_logging_failure(delivery().first(conversation, record))

    async def again(conversation: str, record: Record) -> None:
        with bound(facts(conversation, record)):
            await carry_logging_failure(delivery().again(conversation, record))

    pacing, key = context.pacing, context.conversation_of

    async def main_agent(stream: faust.StreamT[bytes]) -> None:
        await run_in_key_order(stream, pacing.max_in_flight, pacing.max_unacked, key, first)

    async def retry_agent(stream: faust.StreamT[bytes]) -> None:
        await run_in_key_order(stream, pacing.max_in_flight, pacing.max_unacked, key, again)

    for fun, (topic, name) in ((main_agent, main), (retry_agent, retries)):
        fun.__name__ = fun.__qualname__ = name  # Faust labels its log lines with these
        app.agent(topic, name=name)(fun)
