"""The health of a tenant's connections, as the connections page shows it.

The page asks a :class:`ConnectionDoctor` for one line per check. Today's doctor,
:class:`StoredFactsDoctor`, tells what wagen can know without calling Meta or Genesys: the
Vault entries read now (so "readable" is checked live), the newest webhook carried per
source, and the newest failure per direction. A doctor that checks the vendors themselves
(tokens, integration, webhook subscription: issue 15) plugs in by implementing the same
protocol and being passed to :func:`pipeline.console.app.add_console`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import asyncpg

from pipeline.store.journey_reads import Activity, latest_activity
from tenancy.credentials import CREDENTIAL_TYPES, CredentialType
from tenancy.errors import CredentialStoreError
from tenancy.models import CredentialMeta
from tenancy.services import Tenancy
from tenancy.vault import VaultUnavailableError

CheckState = Literal["ok", "failing", "unknown"]
Source = Literal["meta", "genesys"]

_DIRECTION_OF: dict[Source, Literal["inbound", "outbound"]] = {
    "meta": "inbound",
    "genesys": "outbound",
}


@dataclass(frozen=True)
class Check:
    """One line of the report.

    Attributes:
        source: the connection it concerns.
        name: what was checked, in words.
        state: ``ok``, ``failing`` or ``unknown`` (could not be told).
        detail: what was found (never a secret).
        at: when the fact it rests on happened, if it is one.
    """

    source: Source
    name: str
    state: CheckState
    detail: str
    at: datetime | None = None


@dataclass(frozen=True)
class Connection:
    """What the page shows of one source: its stored credential, its traffic, its checks."""

    source: Source
    credential: CredentialMeta | None
    activity: Activity
    checks: tuple[Check, ...]


class ConnectionDoctor(Protocol):
    """Examines a tenant's connections now."""

    async def examine(self, tenant_id: str) -> Sequence[Connection]:
        """One :class:`Connection` per source, Meta first."""


class StoredFactsDoctor:
    """The checks that need no vendor call: Vault read now, and what the pipeline stored."""

    def __init__(self, tenancy: Tenancy, pool: asyncpg.Pool) -> None:
        self._tenancy = tenancy
        self._pool = pool

    async def examine(self, tenant_id: str) -> Sequence[Connection]:
        """Read Vault and the journey now."""
        stored: dict[CredentialType, CredentialMeta] = {}
        vault_problem: str | None = None
        try:
            stored = {m.type: m for m in await self._tenancy.credentials.describe(tenant_id)}
        except (VaultUnavailableError, CredentialStoreError) as exc:
            vault_problem = f"Vault could not be read: {exc.code}"
        found = []
        for source in CREDENTIAL_TYPES:
            activity = await latest_activity(self._pool, tenant_id, _DIRECTION_OF[source])
            meta = stored.get(source)
            checks = (
                _vault_check(source, meta, vault_problem),
                _webhook_check(source, activity),
                _delivery_check(source, activity),
            )
            found.append(Connection(source, meta, activity, checks))
        return found


def _vault_check(source: Source, meta: CredentialMeta | None, problem: str | None) -> Check:
    name = "Credentials readable in Vault"
    if problem is not None:
        return Check(source, name, "unknown", problem)
    if meta is None:
        return Check(source, name, "failing", f"no {source} credentials stored")
    return Check(source, name, "ok", f"version {meta.version}", meta.updated_at)


def _webhook_check(source: Source, activity: Activity) -> Check:
    name = "Webhooks arriving" if source == "meta" else "Agent webhooks arriving"
    at = activity.last_webhook_at
    if at is None:
        return Check(source, name, "unknown", "none carried yet")
    return Check(source, name, "ok", "newest one carried", at)


def _delivery_check(source: Source, activity: Activity) -> Check:
    name = "Delivery to Genesys" if source == "meta" else "Delivery to WhatsApp"
    failure, last = activity.last_failure, activity.last_step
    if failure is not None and (last is None or last.at <= failure.at):
        code = failure.detail.get("code", "?")
        where = failure.detail.get("to", failure.step)
        return Check(
            source, name, "failing", f"last attempt failed ({code}), sent to {where}", failure.at
        )
    tracked = activity.last_tracked
    if tracked is not None and tracked.status == "failed" and tracked.error is not None:
        code = tracked.error.get("error_code") or tracked.error.get("receipt_code") or "?"
        return Check(source, name, "failing", f"last message failed ({code})", tracked.updated_at)
    if last is None and tracked is None:
        return Check(source, name, "unknown", "nothing carried yet")
    at = last.at if last is not None else tracked.updated_at if tracked is not None else None
    return Check(source, name, "ok", "last message carried", at)
