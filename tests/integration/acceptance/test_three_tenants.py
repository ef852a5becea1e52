"""Three tenants at once, interleaved through the gateway's signed per-tenant route: every
message reaches its own tenant's Genesys integration with its own tenant's token, none
reaches another's.
"""

from __future__ import annotations

import uuid

from connectors.signatures import SIGNATURE_HEADER, sign_meta
from tests.integration.acceptance.stack import Genesys, Tenants, Workers, text_webhook
from tests.integration.tenancy.conftest import Client

PER_TENANT = 12


async def test_interleaved_tenants_each_reach_only_their_own_integration_with_their_token(
    client: Client, tenants: Tenants, workers: Workers, genesys: Genesys, unique_name: str
) -> None:
    owners = [await tenants.create(label) for label in ("a", "b", "c")]
    await workers.start(unique_name)

    sent: dict[str, str] = {}  # wamid -> tenant id
    for n in range(PER_TENANT):
        for tenant in owners:  # A, B, C, A, B, C...
            wamid = f"wamid.{tenant.tenant_id}-{n}-{uuid.uuid4().hex[:8]}"
            # Every tenant's customers share one phone number: only the tenant tells them apart.
            body = text_webhook(tenant, "15557654321", wamid, f"{tenant.tenant_id} #{n}")
            response = await client.post(
                f"/webhooks/meta/{tenant.tenant_id}",
                data=body,
                headers={SIGNATURE_HEADER: sign_meta(body, tenant.app_secret)},
            )
            assert response.status == 200, await response.text()
            sent[wamid] = tenant.tenant_id

    arrived = await genesys.wait_delivered(len(sent), timeout_s=20)

    by_id = {t.tenant_id: t for t in owners}
    assert sorted(c.message_id or "" for c in arrived) == sorted(sent)  # each once, none foreign
    for call in arrived:
        owner = by_id[sent[call.message_id or ""]]
        assert (call.integration_id, call.client_id) == (owner.integration_id, owner.client_id)
        assert (call.text or "").startswith(f"{owner.tenant_id} #")
    # No call at all (refused or not) went out under the wrong tenant's token.
    clients = {t.integration_id: t.client_id for t in owners}
    assert all(c.client_id == clients[c.integration_id] for c in genesys.calls)
    assert {t.client_id: genesys.sandbox.issued[t.client_id] for t in owners} == {
        t.client_id: 1 for t in owners
    }
