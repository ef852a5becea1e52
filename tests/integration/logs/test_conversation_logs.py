"""Operator-grade logs, end to end: a customer message to Genesys and an agent's reply back
to Meta through real ``wagen gateway`` and ``wagen worker`` processes logging JSON at DEBUG.

Both processes' whole output must be JSON lines; no credential of the tenant (nor its base64)
may appear anywhere in it; and every line about the conversation must carry the correlation
id of the webhook request it descends from — the id the test sent with the Meta webhook
(``X-Request-Id``) for the inbound direction, the id the gateway gave the Genesys webhook
for the outbound one — with enough such lines along the path for that to mean something.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.signatures import SIGNATURE_HEADER, sign_genesys, sign_meta
from tenancy.services import Tenancy
from tests.integration.acceptance.stack import Genesys, Workers
from tests.integration.genesys_bodies import agent_webhook as genesys_agent_webhook
from tests.integration.logs.harness import (
    JSON_DEBUG_LOGS,
    Gateway,
    SecretTenant,
    create_secret_tenant,
    json_lines,
)
from tests.integration.worker.harness import MetaSim

CUSTOMER = "15557654321"


def meta_webhook(tenant: SecretTenant, wamid: str) -> bytes:
    """A customer's text message to the tenant's number."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": tenant.number},
        "contacts": [{"profile": {"name": "Dana Levi"}, "wa_id": CUSTOMER}],
        "messages": [
            {
                "from": CUSTOMER,
                "id": wamid,
                "timestamp": str(int(time.time())),
                "text": {"body": "Where is my order?"},
                "type": "text",
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1234567890", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def agent_webhook(tenant: SecretTenant, genesys_id: str) -> bytes:
    """An agent's text reply, as Genesys POSTs it."""
    return genesys_agent_webhook(
        tenant.integration_id, CUSTOMER, genesys_id=genesys_id, text="It ships today."
    )


async def _until(what: str, check: Any, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s}s")
        await asyncio.sleep(0.1)


def _about(line: dict[str, Any], raw: str, tenant: SecretTenant, ids: tuple[str, ...]) -> bool:
    """Whether a log line concerns the test's conversation."""
    return (
        line.get("tenant_id") == tenant.tenant_id
        or str(line.get("conversation", "")).startswith(f"{tenant.tenant_id}:")
        or any(i in raw for i in ids)
    )


def _by_request(
    lines: list[tuple[dict[str, Any], str]],
    tenant: SecretTenant,
    request_of: dict[str, str],
    requests: tuple[str, ...],
) -> dict[str, list[dict[str, Any]]]:
    """The lines about the tenant's conversation, by the correlation id each carries.

    ``request_of`` maps each message id to the id of the request it came in with; requests
    are the test's requests' ids. Fails on a line about the conversation with no id or a
    foreign one, or with a message id under another request's id.
    """
    found: dict[str, list[dict[str, Any]]] = {rid: [] for rid in requests}
    for line, raw in lines:
        if not _about(line, raw, tenant, tuple(request_of)):
            continue
        rid = line.get("correlation_id")
        assert rid in found, f"a line about the conversation has correlation id {rid!r}: {raw}"
        for message_id, expected in request_of.items():
            if message_id in raw:
                assert rid == expected, f"{message_id} logged under {rid!r}: {raw}"
        found[rid].append(line)
    return found


def _messages(lines: list[dict[str, Any]]) -> set[str]:
    return {line["msg"] for line in lines}


async def test_a_conversation_logs_json_with_one_id_per_direction_and_no_secret(
    tenancy: Tenancy,
    genesys: Genesys,
    meta: MetaSim,
    workers: Workers,
    gateway: Gateway,
    unique_name: str,
    tmp_path: Path,
) -> None:
    tenant = await create_secret_tenant(tenancy, genesys, meta, unique_name.replace("test-", "l"))
    worker = await workers.start(unique_name, JSON_DEBUG_LOGS)
    meta.sandbox.open_window(tenant.number, CUSTOMER)
    wamid = f"wamid.logs-{uuid.uuid4().hex}"
    genesys_id = uuid.uuid4().hex
    inbound_rid = f"meta-{uuid.uuid4().hex[:16]}"
    handshake_rid, challenge = f"hub-{uuid.uuid4().hex[:16]}", uuid.uuid4().hex

    async with aiohttp.ClientSession() as session:
        # Meta's subscription check: the verify token travels in the query string.
        async with session.get(
            f"{gateway.url}/webhooks/meta/{tenant.tenant_id}",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": tenant.verify_token,
                "hub.challenge": challenge,
            },
            headers={"X-Request-Id": handshake_rid},
        ) as response:
            assert (response.status, await response.text()) == (200, challenge)
        body = meta_webhook(tenant, wamid)
        async with session.post(
            f"{gateway.url}/webhooks/meta/{tenant.tenant_id}",
            data=body,
            headers={
                SIGNATURE_HEADER: sign_meta(body, tenant.app_secret),
                "X-Request-Id": inbound_rid,
            },
        ) as response:
            assert response.status == 200, await response.text()
            assert response.headers["X-Request-Id"] == inbound_rid
        await genesys.wait_delivered(1, timeout_s=90, where=lambda c: c.message_id == wamid)

        body = agent_webhook(tenant, genesys_id)
        async with session.post(
            f"{gateway.url}/webhooks/genesys/{tenant.tenant_id}",
            data=body,
            headers={SIGNATURE_HEADER: sign_genesys(body, tenant.outbound_secret)},
        ) as response:
            assert response.status == 200, await response.text()
            outbound_rid = response.headers["X-Request-Id"]  # the gateway's own
    assert outbound_rid != inbound_rid
    await _until("the agent's reply reaches Meta", lambda: len(meta.sandbox.sent) == 1)

    [(_, worker_log)] = [(p, log) for p, log in workers.processes if p is worker]
    await _until(
        "the worker logs the reply as handled",
        lambda: (
            genesys_id in worker_log.read_text()
            and "agent webhook handled" in worker_log.read_text()
        ),
    )
    workers.stop(worker)
    outputs = {"gateway": gateway.stop(), "worker": worker_log.read_text()}

    for process, output in outputs.items():
        for name, secret in tenant.secrets().items():
            assert secret not in output, f"the {name} appears in the {process}'s log"

    ids = (inbound_rid, outbound_rid)
    request_of = {wamid: inbound_rid, genesys_id: outbound_rid}
    by_process = {}
    for process, output in outputs.items():
        lines = list(json_lines(output))
        by_process[process] = _by_request(lines, tenant, request_of, (*ids, handshake_rid))

    gateway_in, gateway_out = (by_process["gateway"][rid] for rid in ids)
    assert {"webhook received", "webhook stored"} <= _messages(gateway_in)
    assert {"webhook received", "webhook stored"} <= _messages(gateway_out)
    worker_in, worker_out = (by_process["worker"][rid] for rid in ids)
    assert {"event split", "record taken", "event forwarded"} <= _messages(worker_in)
    assert {"record taken", "agent webhook handled"} <= _messages(worker_out)
    # Our connectors' lines (the Genesys and Meta calls) carry the ids too, unasked.
    assert any(line["logger"].startswith("connectors.") for line in worker_in)
    assert any(line["logger"].startswith("connectors.") for line in worker_out)
    assert len(worker_in) >= 6, worker_in
    assert len(worker_out) >= 3, worker_out
    assert all(line["tenant_id"] == tenant.tenant_id for line in worker_in + worker_out)
    assert any(line.get("message_id") == wamid for line in worker_in)
    assert any(line.get("message_id") == genesys_id for line in worker_out)
    assert any(line.get("conversation") == f"{tenant.tenant_id}:{CUSTOMER}" for line in worker_out)
    # Faust's and aiokafka's own records come out through our handler, as JSON.
    loggers = {line["logger"].split(".")[0] for line, _ in json_lines(outputs["worker"])}
    assert {"faust", "aiokafka"} <= loggers, loggers
