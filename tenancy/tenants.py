"""Tenants: onboarding, listing, changes, soft deletion and purge.

Writes to ``tenants`` run in ``platform_tx`` (a tenant may read its own row but never
change it); everything inside one tenant runs in ``tenant_tx``. Each write records an
audit entry in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from tenancy.apikeys import KeyHasher, insert_key
from tenancy.audit import Actor, record
from tenancy.db.scope import Connection, platform_tx, tenant_tx
from tenancy.errors import ConflictError, InvalidRequestError, TenantNotFoundError
from tenancy.models import (
    Tenant,
    TenantCreate,
    TenantCreated,
    TenantListItem,
    TenantPage,
    TenantPatch,
    UsageSummary,
)
from tenancy.settings import TenancySettings
from tenancy.usage import MESSAGES, month_start


def _tenant(row: asyncpg.Record) -> Tenant:
    return Tenant.model_validate({k: row[k] for k in Tenant.model_fields})


class TenantService:
    """The tenant lifecycle over PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool, settings: TenancySettings, hasher: KeyHasher) -> None:
        self._pool = pool
        self._settings = settings
        self._hasher = hasher

    def _check_plan(self, plan: str) -> None:
        if plan not in self._settings.plans:
            known = ", ".join(sorted(self._settings.plans))
            raise InvalidRequestError(f"unknown plan {plan!r}; configured plans: {known}")

    async def create(self, body: TenantCreate, actor: Actor) -> TenantCreated:
        """Create a tenant and its first API key (shown once) in one transaction."""
        plan = body.plan or self._settings.default_plan
        self._check_plan(plan)
        async with platform_tx(self._pool) as conn:
            try:
                row = await conn.fetchrow(
                    "INSERT INTO tenants (tenant_id, name, subdomain, plan) "
                    "VALUES ($1, $2, $3, $4) "
                    "RETURNING tenant_id, name, subdomain, status, plan, rate_limit, "
                    "callback_queue_id, created_at, updated_at, deleted_at",
                    body.tenant_id,
                    body.name,
                    body.subdomain,
                    plan,
                )
            except asyncpg.UniqueViolationError as exc:
                what = "subdomain" if "subdomain" in (exc.constraint_name or "") else "tenant id"
                raise ConflictError(f"{what} already taken", tenant_id=body.tenant_id) from exc
            assert row is not None  # INSERT ... RETURNING always returns the row
            details: dict[str, Any] = {"name": body.name, "plan": plan}
            if body.subdomain:
                details["subdomain"] = body.subdomain
            await record(
                conn,
                actor,
                tenant_id=body.tenant_id,
                action="tenant.create",
                target=body.tenant_id,
                details=details,
            )
            key = await insert_key(conn, self._hasher, body.tenant_id, "default", actor)
        return TenantCreated(tenant=_tenant(row), api_key=key)

    async def get(self, tenant_id: str) -> Tenant:
        """One tenant, deleted ones included (they show ``status: deleted``)."""
        async with tenant_tx(self._pool, tenant_id) as conn:
            row = await conn.fetchrow(
                "SELECT tenant_id, name, subdomain, status, plan, rate_limit, callback_queue_id, "
                "created_at, updated_at, deleted_at FROM tenants WHERE tenant_id = $1",
                tenant_id,
            )
        if row is None:
            raise TenantNotFoundError(f"no tenant {tenant_id!r}", tenant_id=tenant_id)
        return _tenant(row)

    async def by_subdomain(self, subdomain: str) -> Tenant | None:
        """The tenant serving ``subdomain``, if any (platform scope: the tenant is unknown)."""
        async with platform_tx(self._pool) as conn:
            row = await conn.fetchrow(
                "SELECT tenant_id, name, subdomain, status, plan, rate_limit, callback_queue_id, "
                "created_at, updated_at, deleted_at FROM tenants WHERE subdomain = $1",
                subdomain,
            )
        return _tenant(row) if row is not None else None

    async def page(self, *, limit: int, cursor: str | None) -> TenantPage:
        """All tenants by id, with this month's message count, keyset-paginated."""
        month = month_start(datetime.now(UTC).date())
        async with platform_tx(self._pool) as conn:
            rows = await conn.fetch(
                "SELECT t.tenant_id, t.name, t.subdomain, t.status, t.plan, t.rate_limit, "
                "t.callback_queue_id, "
                "t.created_at, t.updated_at, t.deleted_at, "
                "coalesce((SELECT sum(u.value) FROM usage_daily u WHERE u.tenant_id = t.tenant_id "
                "AND u.metric = $3 AND u.day >= $4), 0)::bigint AS month_messages "
                "FROM tenants t WHERE ($1::text IS NULL OR t.tenant_id > $1) "
                "ORDER BY t.tenant_id LIMIT $2",
                cursor,
                limit + 1,
                MESSAGES,
                month,
            )
        items = [
            TenantListItem(
                **_tenant(row).model_dump(),
                usage=UsageSummary(
                    month=month.strftime("%Y-%m"),
                    messages=row["month_messages"],
                    monthly_limit=self._monthly_limit(row["plan"]),
                ),
            )
            for row in rows[:limit]
        ]
        next_cursor = items[-1].tenant_id if len(rows) > limit else None
        return TenantPage(items=items, next_cursor=next_cursor)

    def _monthly_limit(self, plan: str) -> int | None:
        configured = self._settings.plans.get(plan)
        return configured.monthly_messages if configured else None

    async def update(self, tenant_id: str, patch: TenantPatch, actor: Actor) -> Tenant:
        """Change name, plan, status, rate limit or callback queue; only fields present in the
        body change (``null`` clears the rate limit and the callback queue)."""
        changes = patch.model_dump(exclude_unset=True)
        if not changes:
            raise InvalidRequestError("nothing to change", tenant_id=tenant_id)
        if "plan" in changes:
            if changes["plan"] is None:
                raise InvalidRequestError("plan cannot be null", tenant_id=tenant_id)
            self._check_plan(changes["plan"])
        for field in ("name", "status"):
            if field in changes and changes[field] is None:
                raise InvalidRequestError(f"{field} cannot be null", tenant_id=tenant_id)
        async with platform_tx(self._pool) as conn:
            row = await _apply_changes(conn, tenant_id, changes)
            await record(
                conn,
                actor,
                tenant_id=tenant_id,
                action="tenant.update",
                target=tenant_id,
                details=changes,
            )
        return _tenant(row)

    async def soft_delete(self, tenant_id: str, actor: Actor) -> Tenant:
        """Mark deleted and revoke its keys now; rows and credentials go at purge time."""
        async with platform_tx(self._pool) as conn:
            row = await conn.fetchrow(
                "UPDATE tenants SET status = 'deleted', deleted_at = coalesce(deleted_at, now()), "
                "updated_at = now() WHERE tenant_id = $1 "
                "RETURNING tenant_id, name, subdomain, status, plan, rate_limit, "
                "callback_queue_id, created_at, updated_at, deleted_at",
                tenant_id,
            )
            if row is None:
                raise TenantNotFoundError(f"no tenant {tenant_id!r}", tenant_id=tenant_id)
            await conn.execute(
                "UPDATE tenant_api_keys SET is_active = false, "
                "revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1",
                tenant_id,
            )
            await record(conn, actor, tenant_id=tenant_id, action="tenant.delete", target=tenant_id)
        return _tenant(row)

    async def purge_candidates(self, older_than: timedelta) -> list[str]:
        """Ids of tenants soft-deleted longer ago than ``older_than``."""
        async with platform_tx(self._pool) as conn:
            rows = await conn.fetch(
                "SELECT tenant_id FROM tenants WHERE status = 'deleted' "
                "AND deleted_at <= now() - $1::interval ORDER BY tenant_id",
                older_than,
            )
        return [r["tenant_id"] for r in rows]

    async def purge_rows(self, tenant_id: str, actor: Actor) -> None:
        """Delete a soft-deleted tenant and (by cascade) its rows; the audit trail stays."""
        async with platform_tx(self._pool) as conn:
            status = await conn.fetchval(
                "DELETE FROM tenants WHERE tenant_id = $1 AND status = 'deleted' RETURNING status",
                tenant_id,
            )
            if status is None:
                raise TenantNotFoundError(f"no deleted tenant {tenant_id!r}", tenant_id=tenant_id)
            await record(conn, actor, tenant_id=tenant_id, action="tenant.purge", target=tenant_id)


async def _apply_changes(
    conn: Connection, tenant_id: str, changes: dict[str, Any]
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE tenants SET "
        "name = CASE WHEN $2 THEN $3 ELSE name END, "
        "plan = CASE WHEN $4 THEN $5 ELSE plan END, "
        "status = CASE WHEN $6 THEN $7 ELSE status END, "
        "rate_limit = CASE WHEN $8 THEN $9::integer ELSE rate_limit END, "
        "callback_queue_id = CASE WHEN $10 THEN $11::text ELSE callback_queue_id END, "
        "updated_at = now() "
        "WHERE tenant_id = $1 AND status <> 'deleted' "
        "RETURNING tenant_id, name, subdomain, status, plan, rate_limit, callback_queue_id, "
        "created_at, updated_at, deleted_at",
        tenant_id,
        "name" in changes,
        changes.get("name"),
        "plan" in changes,
        changes.get("plan"),
        "status" in changes,
        changes.get("status"),
        "rate_limit" in changes,
        changes.get("rate_limit"),
        "callback_queue_id" in changes,
        changes.get("callback_queue_id"),
    )
    if row is None:
        raise TenantNotFoundError(f"no active tenant {tenant_id!r}", tenant_id=tenant_id)
    return row
