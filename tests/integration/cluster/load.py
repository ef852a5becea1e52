"""A steady load of signed Meta webhooks through a real gateway, sent the way Meta sends
them (a refused one is sent again a second later, until it is taken), and its tally against
what the Genesys simulator accepted: sent, acknowledged, delivered, doubled, lost, and times.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition

from connectors.signatures import SIGNATURE_HEADER, sign_meta
from tests.integration.acceptance.stack import Genesys, Tenant, text_webhook

RETRY_AFTER_S = 1.0


@dataclass(frozen=True)
class Attempt:
    """One POST of one body: when it was answered (monotonic) and with what."""

    wamid: str
    answered_at: float
    status: int  # 0: no HTTP answer at all


@dataclass
class Arrivals:
    """When each call reached the Genesys simulator (its log has no clock: watched here)."""

    genesys: Genesys
    times: list[float] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Arrivals:
        self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _watch(self) -> None:
        while True:
            now = time.monotonic()
            self.times += [now] * (len(self.genesys.calls) - len(self.times))
            await asyncio.sleep(0.02)

    def longest_gap(self, start: float, end: float) -> float:
        """The longest stretch without a delivered message in [start, end], seconds."""
        accepted = [
            t
            for t, call in zip(self.times, self.genesys.calls, strict=False)
            if call.kind == "message" and call.status == 200 and start <= t <= end
        ]
        marks = [start, *accepted, end]
        return max(b - a for a, b in itertools.pairwise(marks))


@dataclass
class Load:
    """Sends ``rate`` new webhooks a second, round robin over ``tenants``, each until a 200,
    from entering the block until :meth:`finish` (leaving the block cancels what is left)."""

    http: aiohttp.ClientSession
    gateway_url: str
    tenants: list[Tenant]
    rate: float
    attempts: list[Attempt] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _bodies: list[asyncio.Task[None]] = field(default_factory=list)
    _pacer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Load:
        self._pacer = asyncio.create_task(self._new_bodies())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for task in [self._pacer, *self._bodies]:
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *[t for t in [self._pacer, *self._bodies] if t], return_exceptions=True
        )

    async def finish(self, timeout_s: float = 120) -> None:
        """No new bodies; wait until every body sent so far was taken (200)."""
        self._stop.set()
        async with asyncio.timeout(timeout_s):
            if self._pacer is not None:
                await self._pacer
            await asyncio.gather(*self._bodies)

    async def _new_bodies(self) -> None:
        n = 0
        started = time.monotonic()
        while not self._stop.is_set():
            tenant = self.tenants[n % len(self.tenants)]
            self._bodies.append(asyncio.create_task(self._send(tenant, n)))
            n += 1
            await asyncio.sleep(max(0.0, started + n / self.rate - time.monotonic()))

    async def _send(self, tenant: Tenant, n: int) -> None:
        wamid = f"wamid.cluster-{uuid.uuid4().hex}"
        customer = f"4917{n % 50:08d}"
        body = text_webhook(tenant, customer, wamid, f"message {n}")
        headers = {SIGNATURE_HEADER: sign_meta(body, tenant.app_secret)}
        url = f"{self.gateway_url}/webhooks/meta/{tenant.tenant_id}"
        self.sent_at[wamid] = time.monotonic()
        while True:
            try:
                async with self.http.post(url, data=body, headers=headers) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            self.attempts.append(Attempt(wamid, time.monotonic(), status))
            if status == 200:
                return
            await asyncio.sleep(RETRY_AFTER_S)


async def stored(servers: list[str], topic: str, since: dict[TopicPartition, int]) -> Counter[str]:
    """How many copies of each wamid ``topic`` holds after ``since`` (raw webhook bodies)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    copies: Counter[str] = Counter()
    try:
        ends = await consumer.end_offsets(list(since))
        left = {tp: end for tp, end in ends.items() if end > since[tp]}
        consumer.assign(list(left))
        for tp in left:
            consumer.seek(tp, since[tp])
        async with asyncio.timeout(60):
            while left:
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    for record in records:
                        if record.offset < left.get(tp, 0) and record.value:
                            copies.update(_wamids(record.value))
                    if tp in left and await consumer.position(tp) >= left[tp]:
                        del left[tp]
    finally:
        await consumer.stop()
    return copies


def _wamids(value: bytes) -> list[str]:
    body = json.loads(value)
    return [
        message["id"]
        for entry in body.get("entry", [])
        for change in entry.get("changes", [])
        for message in change["value"].get("messages", [])
    ]


@dataclass(frozen=True)
class Figures:
    """What a fault did to a load, in exact counts and seconds."""

    sent: int
    attempts: int
    acknowledged: int
    refused: int
    stored_twice: int
    sent_once_stored_twice: int
    unstored_acknowledged: int
    delivered: int
    doubled: int
    lost: int
    refused_s: float
    pause_s: float

    def line(self, label: str) -> str:
        """One line for the test log (and the README's figures)."""
        return (
            f"{label}: sent {self.sent}, acknowledged {self.acknowledged} "
            f"({self.attempts} attempts, {self.refused} refused over {self.refused_s:.1f} s), "
            f"stored twice on Kafka {self.stored_twice} (sent once: "
            f"{self.sent_once_stored_twice}), acknowledged but not stored "
            f"{self.unstored_acknowledged}, delivered {self.delivered}, doubled {self.doubled}, "
            f"lost {self.lost}; longest delivery pause {self.pause_s:.1f} s"
        )


def figures(
    load: Load,
    genesys: Genesys,
    arrivals: Arrivals,
    window: tuple[float, float],
    copies: Counter[str],
) -> Figures:
    """The tally of ``load`` (``copies``: what Kafka holds of each body); the pause is
    measured over ``window`` (monotonic)."""
    ours = set(load.sent_at)
    accepted = Counter(c.message_id for c in genesys.delivered() if c.message_id in ours)
    acknowledged = {a.wamid for a in load.attempts if a.status == 200}
    refused = [a for a in load.attempts if a.status != 200]
    attempts = Counter(a.wamid for a in load.attempts)
    return Figures(
        sent=len(ours),
        attempts=len(load.attempts),
        acknowledged=len(acknowledged),
        refused=len(refused),
        stored_twice=sum(1 for wamid in ours if copies[wamid] > 1),
        # The idempotent producer's promise: its own retries never store a body twice.
        sent_once_stored_twice=sum(
            1 for wamid in ours if copies[wamid] > 1 and attempts[wamid] == 1
        ),
        unstored_acknowledged=sum(1 for wamid in acknowledged if copies[wamid] == 0),
        delivered=len(accepted),
        doubled=sum(1 for count in accepted.values() if count > 1),
        lost=len(acknowledged - set(accepted)),
        refused_s=(
            max(a.answered_at for a in refused) - min(a.answered_at for a in refused)
            if refused
            else 0.0
        ),
        pause_s=arrivals.longest_gap(*window),
    )


async def wait_delivered(load: Load, genesys: Genesys, timeout_s: float) -> None:
    """Until every body of ``load`` reached Genesys, then a second more (a late double shows)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        arrived = {c.message_id for c in genesys.delivered()}
        if set(load.sent_at) <= arrived:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)
