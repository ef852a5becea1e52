"""``customer_identities``: one stable key per WhatsApp customer (or group) and tenant.

A customer may write with their number, their business-scoped user id (BSUID), or both, and
change either; Genesys threads by ``channel.from.id``. The key picked on first sight (the
number, else the BSUID) is what wagen threads, maps and tracks the customer by from then on,
so their Genesys conversation never splits; the links between the ids are learnt from every
webhook that carries two of them and from the ``user_changed_number`` /
``user_changed_user_id`` system messages. The rules live in SQL functions (migration 0009),
so concurrent workers agree without a lock of ours; every call runs in the caller's tenant
transaction, under row-level security.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from schemas.events import CustomerIds
from tenancy.db.scope import Connection
from tenancy.db.statements import Statement


@dataclass(frozen=True)
class KnownCustomer:
    """What the outbound direction needs to address a customer.

    Attributes:
        key: the identity's key (after following merges of the key asked about).
        kind: ``person`` or ``group``; ``None`` when the store has never heard of the key.
        wa_id: the customer's current number (digits), if known.
        user_id: their current BSUID, if known.
    """

    key: str
    kind: Literal["person", "group"] | None
    wa_id: str | None
    user_id: str | None


def ids_of(customer: str) -> CustomerIds:
    """The ids one customer id stands for: digits are a number, anything else a BSUID."""
    plain = customer.lstrip("+")
    return CustomerIds(wa_id=plain) if plain.isdigit() else CustomerIds(user_id=customer)


def resolving(tenant_id: str, ids: CustomerIds) -> Statement:
    """``SELECT`` of the customer's key (learning the links ``ids`` carries)."""
    return Statement(
        "SELECT wagen_customer_key($1, $2, $3, $4, $5, $6)",
        (tenant_id, ids.wa_id, ids.user_id, ids.parent_user_id, ids.username, ids.group_id),
    )


async def customer_key(conn: Connection, tenant_id: str, ids: CustomerIds) -> str | None:
    """The stable key of the customer ``ids`` names (``None``: no id at all)."""
    statement = resolving(tenant_id, ids)
    found = await conn.fetchval(statement.sql, *statement.args)
    return str(found) if found is not None else None


async def customer_changed(
    conn: Connection,
    tenant_id: str,
    old: CustomerIds,
    *,
    new_wa_id: str | None,
    new_user_id: str | None,
    new_parent_user_id: str | None = None,
) -> str | None:
    """Move a customer's identity to their new number and/or BSUID; returns its (unchanged)
    key. An identity that a racing message made for the new ids is merged into it."""
    found = await conn.fetchval(
        "SELECT wagen_customer_changed($1, $2, $3, $4, $5, $6)",
        tenant_id,
        old.wa_id,
        old.user_id,
        new_wa_id,
        new_user_id,
        new_parent_user_id,
    )
    return str(found) if found is not None else None


# A merge chain is longer than one hop only when a person was split and merged twice.
_KNOWN_CUSTOMER_SQL: Final = """
WITH RECURSIVE chain AS (
    SELECT customer_key, merged_into, kind, wa_id, user_id, 0 AS hops
    FROM customer_identities WHERE tenant_id = $1 AND customer_key = $2
  UNION ALL
    SELECT i.customer_key, i.merged_into, i.kind, i.wa_id, i.user_id, chain.hops + 1
    FROM customer_identities i JOIN chain ON i.customer_key = chain.merged_into
    WHERE i.tenant_id = $1 AND chain.hops < 5
)
SELECT customer_key, kind, wa_id, user_id FROM chain
WHERE merged_into IS NULL ORDER BY hops DESC LIMIT 1
"""
"""The identity a key stands for now (following merges); no row for an unknown key."""


async def known_customer(conn: Connection, tenant_id: str, key: str) -> KnownCustomer:
    """Who ``key`` is now: the identity it names or was merged into (kind ``None``: the
    store has never heard of it, e.g. a customer id an agent typed)."""
    row = await conn.fetchrow(_KNOWN_CUSTOMER_SQL, tenant_id, key)
    if row is None:
        return KnownCustomer(key, None, None, None)
    return KnownCustomer(row["customer_key"], row["kind"], row["wa_id"], row["user_id"])
