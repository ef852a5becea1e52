"""The soak's steady mixed load: customer messages (Meta webhooks) and agent replies (Genesys
webhooks) at fixed rates over every tenant's conversations, each sent as the vendors send:
a refused webhook is sent again a second later until it is taken (or given up after
``give_up_s``: then it counts as lost)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp

from bench.payloads import SIGNATURE_HEADER, BenchTenant, signed

RETRY_AFTER_S = 1.0
PATHS = {"meta": "/webhooks/meta/{tenant}", "genesys": "/webhooks/genesys/{tenant}"}


@dataclass
class Message:
    """One webhook of the load: when it was first sent and taken (wall clock), how often."""

    bench_id: str
    kind: str
    first_sent: float
    taken: float | None = None
    attempts: int = 0
    refused: int = 0


@dataclass
class SteadyLoad:
    """Both directions at ``rates`` (webhooks a second per kind) until :meth:`stop`."""

    http: aiohttp.ClientSession
    gateway_url: str
    tenants: list[BenchTenant]
    conversations: list[tuple[int, str]]
    run_id: str
    rates: dict[str, float]
    give_up_s: float = 600.0
    messages: dict[str, Message] = field(default_factory=dict)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _pacers: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        """Begin sending, one pacer per kind."""
        self._pacers = [
            asyncio.create_task(self._pace(kind, rate)) for kind, rate in self.rates.items() if rate
        ]

    async def stop(self, timeout_s: float = 900) -> None:
        """No new webhooks; wait until each one sent was taken or given up."""
        self._stopping.set()
        await asyncio.gather(*self._pacers)
        async with asyncio.timeout(timeout_s):
            await asyncio.gather(*self._tasks)

    def cancel(self) -> None:
        """Abandon everything (the run failed)."""
        for task in [*self._pacers, *self._tasks]:
            task.cancel()

    async def _pace(self, kind: str, rate: float) -> None:
        started, n = time.monotonic(), 0
        while not self._stopping.is_set():
            conversation = self.conversations[n % len(self.conversations)]
            self._tasks.append(asyncio.create_task(self._send(kind, n, conversation)))
            n += 1
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))

    async def _send(self, kind: str, n: int, conversation: tuple[int, str]) -> None:
        tenant_index, customer = conversation
        tenant = self.tenants[tenant_index]
        bench_id = f"{self.run_id}{kind[0]}{n}"
        body, signature = signed(kind, tenant, customer, bench_id)
        url = self.gateway_url + PATHS[kind].format(tenant=tenant.tenant_id)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
        message = Message(bench_id, kind, time.time())
        self.messages[bench_id] = message
        while time.time() - message.first_sent < self.give_up_s:
            message.attempts += 1
            try:
                async with self.http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            if status == 200:
                message.taken = time.time()
                return
            message.refused += 1
            await asyncio.sleep(RETRY_AFTER_S)
