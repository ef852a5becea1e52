"""``customer_preferences``: each customer's marketing choice, per tenant.

Meta reports a customer stopping or resuming marketing messages in ``user_preferences``
webhooks; the worker records the choice here (:func:`record`). Two readers:

* the inbound translation puts it in the routing context (``wa_marketing_opt_out``), so an
  Architect flow can see it;
* a proactive send (a template: a later feature) must call :func:`ensure_marketing_allowed`
  first, which raises :class:`~pipeline.store.errors.RecipientOptedOutError` for a customer
  who stopped. Agent replies inside the window are service messages and never asked.

Choices arrive unordered and at least once: only a newer one (Meta's timestamp) replaces a
stored one, so a replayed ``stop`` never undoes a later ``resume``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from pipeline.store.errors import RecipientOptedOutError
from tenancy.db.scope import Connection

MARKETING: Final = "marketing_messages"
"""The category Meta reports (and the one templates are refused on)."""


async def record(
    conn: Connection,
    tenant_id: str,
    customer: str,
    *,
    category: str,
    opted_out: bool,
    choice: str,
    detail: str | None,
    chosen_at: datetime,
) -> bool:
    """Store a choice unless a newer one is stored; whether this one is now the current one."""
    stored = await conn.fetchval(
        "INSERT INTO customer_preferences "
        "(tenant_id, customer, category, opted_out, choice, detail, chosen_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (tenant_id, customer, category) DO UPDATE SET "
        "opted_out = EXCLUDED.opted_out, choice = EXCLUDED.choice, detail = EXCLUDED.detail, "
        "chosen_at = EXCLUDED.chosen_at, updated_at = now() "
        "WHERE customer_preferences.chosen_at <= EXCLUDED.chosen_at "
        "RETURNING true",
        tenant_id,
        customer,
        category,
        opted_out,
        choice,
        detail,
        chosen_at,
    )
    return bool(stored)


async def marketing_opted_out(
    conn: Connection, tenant_id: str, customers: Iterable[str]
) -> bool | None:
    """The customer's current marketing choice: ``True`` stopped, ``False`` resumed or
    signed up, ``None`` never said.

    ``customers`` are every id the customer is known by (a phone's ``wa_id``, a
    business-scoped user id): the newest choice under any of them counts.
    """
    ids = sorted(set(customers))
    if not ids:
        return None
    found = await conn.fetchval(
        "SELECT opted_out FROM customer_preferences "
        "WHERE tenant_id = $1 AND category = $2 AND customer = ANY($3::text[]) "
        "ORDER BY chosen_at DESC LIMIT 1",
        tenant_id,
        MARKETING,
        ids,
    )
    return None if found is None else bool(found)


async def ensure_marketing_allowed(
    conn: Connection, tenant_id: str, customers: Iterable[str]
) -> None:
    """Refuse a proactive (marketing) send to a customer who stopped marketing messages.

    Raises:
        RecipientOptedOutError: the customer's current choice is ``stop``.
    """
    ids = sorted(set(customers))
    if await marketing_opted_out(conn, tenant_id, ids):
        raise RecipientOptedOutError(
            "the customer stopped marketing messages: not sent",
            tenant_id=tenant_id,
        )
