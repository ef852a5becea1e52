"""Every admin and tenant write leaves one audit entry: who, tenant, action, target, request id."""

from __future__ import annotations

from tests.integration.tenancy.conftest import ADMIN, Client, create_tenant


async def test_writes_are_audited_with_actor_and_request_id(client: Client) -> None:
    key = await create_tenant(client, "alpha")
    prefix = key.split("_")[1]
    rid = {"X-Request-Id": "req-42"}
    await client.patch("/tenants/alpha", json={"plan": "professional"}, headers={**ADMIN, **rid})
    created = await client.post("/tenants/alpha/api-keys", json={"name": "ci"}, headers=ADMIN)
    assert created.headers["X-Request-Id"]
    await client.post(
        "/state/mapping", json={"waId": "15550001"}, headers={"X-API-Key": key, **rid}
    )
    # Reads are not audited.
    await client.get("/state/mapping/15550001", headers={"X-API-Key": key})

    page = await (await client.get("/tenants/alpha/audit", headers=ADMIN)).json()
    entries = [(e["actor"], e["action"], e["target"]) for e in reversed(page["items"])]
    new_prefix = (await created.json())["prefix"]
    assert entries == [
        ("admin:token", "tenant.create", "alpha"),
        ("admin:token", "api_key.create", prefix),
        ("admin:token", "tenant.update", "alpha"),
        ("admin:token", "api_key.create", new_prefix),
        (f"tenant:alpha:key:{prefix}", "mapping.create", "15550001"),
    ]
    by_action = {e["action"]: e for e in page["items"]}
    assert by_action["tenant.update"]["requestId"] == "req-42"
    assert by_action["mapping.create"]["requestId"] == "req-42"
    assert by_action["tenant.update"]["details"] == {"plan": "professional"}


async def test_audit_pages_newest_first_and_stays_per_tenant(client: Client) -> None:
    await create_tenant(client, "alpha")
    await create_tenant(client, "bravo")
    for i in range(3):
        await client.patch("/tenants/alpha", json={"name": f"A{i}"}, headers=ADMIN)
    first = await (await client.get("/tenants/alpha/audit?limit=2", headers=ADMIN)).json()
    rest = await (
        await client.get(
            f"/tenants/alpha/audit?limit=10&cursor={first['nextCursor']}", headers=ADMIN
        )
    ).json()
    ids = [e["auditId"] for e in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 5  # create, first key, three updates
    assert {e["tenantId"] for e in first["items"] + rest["items"]} == {"alpha"}
