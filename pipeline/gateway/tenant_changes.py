"""Tenant changes, announced by PostgreSQL, drop the gateway's cached tenant facts at once.

A trigger on ``tenants`` (migration 0012) sends ``NOTIFY wagen_tenant_changed, <tenant id>``
when a change commits, whoever made it (admin API, CLI, purge, SQL by hand). Every gateway
keeps one connection of its own (outside the pool: ``LISTEN`` belongs to a session) and, on
each announcement, forgets that tenant's status and secrets (:class:`TenantSecrets`), so a
suspended or deleted tenant's webhooks are refused on every replica within moments, not
after ``WAGEN_GATEWAY_SECRETS_TTL_S``.

While the connection is down nothing is announced to us: each (re)connection therefore
starts by forgetting everything cached, and a dead link is noticed by a periodic ``SELECT
1`` (a vanished peer sends no FIN). PostgreSQL being down never stops the gateway; the
listener retries with a growing pause and logs once per outage. ``LISTEN`` needs a session
connection: behind a transaction-pooling proxy (PgBouncer's transaction mode) point
``WAGEN_POSTGRES_DSN`` at PostgreSQL itself or a session pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Final

import asyncpg

from tenancy.settings import PostgresSettings

log = logging.getLogger(__name__)

CHANNEL: Final = "wagen_tenant_changed"
"""The channel the trigger of migration 0012 notifies."""

APPLICATION_NAME: Final = "wagen-gateway-tenant-changes"
"""How the listening session shows in ``pg_stat_activity``."""

_PING_S: Final = 15.0
_RETRY_FIRST_S: Final = 0.5
_RETRY_MAX_S: Final = 15.0
_FAILURES: Final = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class TenantChangeListener:
    """Calls ``changed(tenant_id)`` per announcement, ``missed()`` on every (re)connection."""

    def __init__(
        self,
        settings: PostgresSettings,
        changed: Callable[[str], None],
        missed: Callable[[], None],
        ping_s: float = _PING_S,
    ) -> None:
        self._settings = settings
        self._changed = changed
        self._missed = missed
        self._ping_s = ping_s

    def _announced(
        self,
        _conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
        _pid: int,
        _channel: str,
        payload: object,
    ) -> None:
        self._changed(str(payload))

    async def _session(self) -> None:
        """Listen on one connection until it fails."""
        conn = await asyncpg.connect(
            self._settings.dsn.get_secret_value(),
            timeout=self._settings.command_timeout_s,
            server_settings={"application_name": APPLICATION_NAME},
        )
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: lost.set())
        try:
            await conn.add_listener(CHANNEL, self._announced)
            self._missed()  # whatever changed while nobody listened
            log.info("listening for tenant changes", extra={"dsn": self._settings.dsn_for_logs})
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._ping_s)
                if not lost.is_set():
                    await conn.fetchval("SELECT 1", timeout=self._settings.command_timeout_s)
        finally:
            with contextlib.suppress(*_FAILURES):
                await asyncio.shield(conn.close(timeout=2))
            if not conn.is_closed():
                conn.terminate()

    async def run(self) -> None:
        """Listen forever, reconnecting after every failure."""
        pause, reported = _RETRY_FIRST_S, False
        while True:
            try:
                await self._session()
                # Lost after a good session: try again soon, from the first pause.
                pause, reported = _RETRY_FIRST_S, False
                await asyncio.sleep(pause)
            except _FAILURES as exc:
                if not reported:
                    log.warning(
                        "tenant change listener down; cached tenant facts expire by TTL meanwhile",
                        extra={"error": type(exc).__name__},
                    )
                    reported = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, _RETRY_MAX_S)


@asynccontextmanager
async def listening(listener: TenantChangeListener) -> AsyncIterator[TenantChangeListener]:
    """Run ``listener`` in the background for a lifespan."""
    task = asyncio.create_task(listener.run(), name="tenant-change-listener")
    try:
        yield listener
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
