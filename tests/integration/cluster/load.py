"""A steady load of signed Meta webhooks through a real gateway, sent the way Meta sends
them (a refused one is sent again a second later, until it is taken), and its tally against
what the Genesys simulator accepted: sent, acknowledged, delivered, doubled, lost, and times.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

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


@dataclass(frozen=True)
class Figures:
    """What a fault did to a load, in exact counts and seconds."""

    sent: int
    attempts: int
    acknowledged: int
    refused: int
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
            f"delivered {self.delivered}, doubled {self.doubled}, lost {self.lost}; "
            f"longest delivery pause {self.pause_s:.1f} s"
        )


def figures(
    load: Load, genesys: Genesys, arrivals: Arrivals, window: tuple[float, float]
) -> Figures:
    """The tally of ``load``; the pause is measured over ``window`` (monotonic)."""
    ours = set(load.sent_at)
    accepted = Counter(c.message_id for c in genesys.delivered() if c.message_id in ours)
    acknowledged = {a.wamid for a in load.attempts if a.status == 200}
    refused = [a for a in load.attempts if a.status != 200]
    return Figures(
        sent=len(ours),
        attempts=len(load.attempts),
        acknowledged=len(acknowledged),
        refused=len(refused),
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
