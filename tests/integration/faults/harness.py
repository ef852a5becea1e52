"""What the fault tests share: stopping a real service of the stack (and always starting it
again), a known set of customer messages spread over tenants and conversations, and exact
accounting of what reached Genesys and what landed in a DLQ.

The fault tests stop and restart the servers of the stack ``deploy/local/stack`` runs
(``WAGEN_STACK_DIR`` and the ``WAGEN_STACK_*_PORT`` variables say which one). They run in
CI under ``make test`` like every other test; during development run them against a stack
of their own, never a shared one.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT
from tests.integration.acceptance.stack import (
    Genesys,
    GenesysCall,
    Tenant,
    text_webhook,
    webhook_record,
)
from tests.integration.kafka_tail import TopicTail

STACK = REPO_ROOT / "deploy" / "local" / "stack"

FAST_RECOVERY = {
    # A claim whose holder lost its database mid-delivery is taken over after 5 s, not 120.
    "WAGEN_WORKER_CLAIM_LEASE_S": "5",
    "WAGEN_WORKER_IN_DOUBT_SETTLE_S": "2",
    # Enough retry-topic attempts, close together, to outlast an outage of ~20 s.
    "WAGEN_WORKER_RETRY_ATTEMPTS": "15",
    "WAGEN_WORKER_RETRY_BASE_DELAY_S": "0.5",
    "WAGEN_WORKER_RETRY_MAX_DELAY_S": "2",
    # The faults, not the pacing, are under test.
    "WAGEN_PACING_GENESYS_PER_MINUTE": "60000",
    "WAGEN_PACING_GENESYS_BURST": "100",
}
"""Worker settings under which a short outage is waited out on the retry topic."""


def stack(*args: str) -> None:
    """``deploy/local/stack ARGS`` (stop/start a service); fails with its output."""
    done = subprocess.run(
        [str(STACK), *args], capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, f"stack {' '.join(args)}: {done.stdout}{done.stderr}"


@asynccontextmanager
async def service_stopped(service: str) -> AsyncIterator[None]:
    """``service`` is down inside the block and started again after it, even on failure."""
    await asyncio.to_thread(stack, "stop", service)
    try:
        yield
    finally:
        await asyncio.to_thread(stack, "start", service)


@dataclass(frozen=True)
class Message:
    """One customer text message of a test: who, which conversation, its place in it."""

    tenant: Tenant
    conversation: int
    seq: int
    wamid: str

    @property
    def customer(self) -> str:
        """The customer's ``wa_id`` (one per conversation of a tenant)."""
        return f"1555{self.conversation:07d}"

    @property
    def text(self) -> str:
        """``tenant:conversation:seq``: order and ownership are read back from Genesys."""
        return f"{self.tenant.tenant_id}:{self.conversation}:{self.seq}"


def messages(
    tenant: Tenant, conversations: int, per_conversation: int, *, tag: str, start: int = 0
) -> list[Message]:
    """``per_conversation`` messages in each of ``conversations``, interleaved, each in order."""
    return [
        Message(tenant, c, n, f"wamid.{tag}-{tenant.tenant_id}-{c}-{n}")
        for n in range(start, start + per_conversation)
        for c in range(conversations)
    ]


async def publish_all(producer: AIOKafkaProducer, batch: Iterable[Message]) -> None:
    """Store each message on ``wa.webhooks`` as the gateway does, in order, then flush."""
    for message in batch:
        body = text_webhook(message.tenant, message.customer, message.wamid, message.text)
        record = webhook_record(message.tenant.tenant_id, body)
        await producer.send(record.pop("topic"), **record)
    await producer.flush()


@dataclass(frozen=True)
class Tally:
    """What Genesys accepted of a set of messages."""

    distinct: int
    total: int
    doubled: list[str]
    missing: list[str]
    out_of_order: dict[str, list[int]]


def tally(calls: Sequence[GenesysCall], sent: Sequence[Message]) -> Tally:
    """Accepted message calls for ``sent``: counts, doubles, gaps, per-conversation order."""
    ours = {m.wamid: m for m in sent}
    accepted = [
        c for c in calls if c.kind == "message" and c.status == 200 and c.message_id in ours
    ]
    counts = Counter(c.message_id for c in accepted)
    order: defaultdict[str, list[int]] = defaultdict(list)
    seen: set[str] = set()
    for call in accepted:  # each message where Genesys first accepted it
        message = ours[str(call.message_id)]
        if message.wamid not in seen:
            seen.add(message.wamid)
            order[_conv(message)].append(message.seq)
    expected: defaultdict[str, list[int]] = defaultdict(list)
    for message in sent:
        expected[_conv(message)].append(message.seq)
    return Tally(
        distinct=len(counts),
        total=len(accepted),
        doubled=sorted(str(m) for m, k in counts.items() if k > 1),
        missing=sorted(m for m in ours if m not in counts),
        out_of_order={c: seqs for c, seqs in order.items() if seqs != sorted(expected[c])},
    )


def _conv(message: Message) -> str:
    return f"{message.tenant.tenant_id}:{message.conversation}"


async def wait_for_all(
    genesys: Genesys, sent: Sequence[Message], timeout_s: float, *, settle_s: float = 1.0
) -> Tally:
    """The tally once every message in ``sent`` reached Genesys (then ``settle_s`` more, so a
    late duplicate shows); the tally as it stands when ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not tally(genesys.calls, sent).missing:
            await asyncio.sleep(settle_s)
            break
        await asyncio.sleep(0.1)
    return tally(genesys.calls, sent)


async def wait_for_some(genesys: Genesys, sent: Sequence[Message], count: int) -> None:
    """Until at least ``count`` of ``sent`` reached Genesys (60 s at most)."""
    deadline = time.monotonic() + 60
    while tally(genesys.calls, sent).distinct < count:
        assert time.monotonic() < deadline, f"fewer than {count} messages reached Genesys in 60s"
        await asyncio.sleep(0.05)


async def tenant_records(
    tail: TopicTail, tenants: Sequence[Tenant], *, rounds: int = 8
) -> list[tuple[bytes, dict[str, bytes]]]:
    """Everything on ``tail``'s topic (read for ``rounds`` quarter seconds) whose
    ``tenant_id`` header names one of ``tenants`` (topics are shared by every test)."""
    ids = {t.tenant_id.encode() for t in tenants}
    common = _common_prefix([t.tenant_id for t in tenants]).encode()
    found = await tail.records_for(common, 10**9, prefix=True, rounds=rounds)
    return [(value, headers) for value, headers in found if headers.get("tenant_id") in ids]


def _common_prefix(names: Sequence[str]) -> str:
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


@asynccontextmanager
async def tails(settings: WagenSettings, *topics: str) -> AsyncIterator[list[TopicTail]]:
    """A :class:`TopicTail` per topic, positioned now."""
    opened: list[TopicTail] = []
    try:
        for topic in topics:
            opened.append(await TopicTail(settings, topic).__aenter__())
        yield opened
    finally:
        for tail in opened:
            await tail.__aexit__(None, None, None)
