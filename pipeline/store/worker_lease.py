"""The worker's lease: the one row that says "this worker is alive" to every claim it holds.

Each worker incarnation gets a fresh id, inserts its row in ``worker_leases`` at start and
renews it every ``renew_s`` for ``lease_s``; its claims name that id (migration 0015). A
worker that dies stops renewing, and all its claims free together within ``lease_s`` of its
last renewal — seconds, however many messages it held — while a live worker's claims never
lapse, however long a call takes. Stopping deletes the row, so a clean shutdown frees them
at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

import asyncpg

log = logging.getLogger(__name__)


class WorkerLease:
    """Holds this worker's lease while started.

    Args:
        pool: the PostgreSQL pool (``worker_leases`` carries no tenant data: no RLS).
        label: who holds it, for operators (host and pid).
        lease_s: how long a renewal keeps the worker's claims.
        renew_s: how often it renews (well under ``lease_s``).
    """

    def __init__(self, pool: asyncpg.Pool, label: str, *, lease_s: float, renew_s: float) -> None:
        if not 0 < renew_s < lease_s:
            raise ValueError("renew_s must be positive and shorter than lease_s")
        self.worker_id = uuid.uuid4()
        self._pool = pool
        self._label = label
        self._lease_s = lease_s
        self._renew_s = renew_s
        self._task: asyncio.Task[None] | None = None
        self._renewed_at: float | None = None

    @property
    def held(self) -> bool:
        """Whether the lease surely still holds (renewed within ``lease_s`` minus a renewal).

        A worker must not start a vendor call without it: once the lease may have lapsed,
        another worker may take its claims over and send the same message.
        """
        renewed = self._renewed_at
        return renewed is not None and time.monotonic() - renewed < self._lease_s - self._renew_s

    async def _renew(self) -> None:
        started = time.monotonic()
        await self._pool.execute(
            "INSERT INTO worker_leases (worker_id, label, expires_at) "
            "VALUES ($1, $2, now() + make_interval(secs => $3)) "
            "ON CONFLICT (worker_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
            self.worker_id,
            self._label,
            self._lease_s,
        )
        self._renewed_at = started

    async def start(self) -> None:
        """Take the lease (fails when PostgreSQL is down: no claim without it)."""
        await self._renew()
        self._task = asyncio.create_task(self._keep(), name="worker-lease")

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self._renew_s)
            try:
                await self._renew()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # Claims taken meanwhile may be taken over after the lease: the claims keep
                # a message from going twice only while it is renewed, so say so loudly.
                log.warning("worker lease not renewed: %s", exc)

    async def stop(self) -> None:
        """Give the lease up: every claim of this worker is free at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._renewed_at = None
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self._pool.execute(
                "DELETE FROM worker_leases WHERE worker_id = $1", self.worker_id
            )
