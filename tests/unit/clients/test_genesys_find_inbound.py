"""``GenesysClient.find_inbound`` against the simulator: was a message accepted after all?"""

from __future__ import annotations

import asyncio

import pytest

from connectors.errors import ConnectorTransportError
from connectors.genesys.client import GenesysClient
from connectors.genesys.errors import GenesysPermanentError
from connectors.http import HttpTransport
from schemas.genesys import OpenInboundNormalizedMessage
from tests.unit.clients.conftest import GenesysSim, genesys_settings, genesys_tenant
from tests.unit.clients.test_genesys_client import fail
from tests.unit.clients.test_genesys_token import message


def customer_message(wamid: str, customer: str) -> OpenInboundNormalizedMessage:
    """The token tests' message, from ``customer`` with ``wamid``."""
    body = message()
    channel = body.channel.model_copy(
        update={
            "message_id": wamid,
            "from_": body.channel.from_.model_copy(update={"id": customer}),
        }
    )
    return body.model_copy(update={"channel": channel})


async def _send(
    client: GenesysClient, sim: GenesysSim, body: OpenInboundNormalizedMessage
) -> tuple[str | None, str | None]:
    accepted = await client.send_message(genesys_tenant(sim), body, prefetch_conversation_id=True)
    return accepted.id, accepted.conversation_id


async def test_one_customer_keeps_one_conversation_and_its_messages_are_found_by_wamid(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    tenant = genesys_tenant(genesys_sim)
    first_id, conversation = await _send(
        genesys_client, genesys_sim, customer_message("wamid.ONE", "+5511900000001")
    )
    second_id, again = await _send(
        genesys_client, genesys_sim, customer_message("wamid.TWO", "+5511900000001")
    )
    _, other = await _send(
        genesys_client, genesys_sim, customer_message("wamid.ELSE", "+5511900000002")
    )
    assert conversation is not None
    assert again == conversation
    assert other not in (None, conversation)
    assert await genesys_client.find_inbound(tenant, conversation, "wamid.ONE") == first_id
    assert await genesys_client.find_inbound(tenant, conversation, "wamid.TWO") == second_id
    # Another customer's message is not in this conversation.
    assert await genesys_client.find_inbound(tenant, conversation, "wamid.ELSE") is None
    assert await genesys_client.find_inbound(tenant, conversation, "wamid.NEVER") is None


async def test_a_conversation_genesys_does_not_know_means_not_accepted(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    tenant = genesys_tenant(genesys_sim)
    found = await genesys_client.find_inbound(tenant, "5c7e0f9a-unknown", "wamid.ONE")
    assert found is None


async def test_a_message_whose_answer_timed_out_is_found_once_genesys_accepted_it(
    transport: HttpTransport, genesys_sim: GenesysSim, genesys_client: GenesysClient
) -> None:
    tenant = genesys_tenant(genesys_sim)
    _, conversation = await _send(
        genesys_client, genesys_sim, customer_message("wamid.FIRST", "+5511900000003")
    )
    assert conversation is not None
    impatient = GenesysClient(transport, genesys_settings(genesys_sim, timeout_s=0.2))
    await fail(genesys_sim, kind="timeout", delay_s=0.6, operation="message")
    with pytest.raises(ConnectorTransportError) as caught:
        await impatient.send_message(tenant, customer_message("wamid.LATE", "+5511900000003"))
    assert caught.value.maybe_sent
    for _ in range(50):  # the simulator accepts it once its delay is over
        found = await genesys_client.find_inbound(tenant, conversation, "wamid.LATE")
        if found is not None:
            break
        await asyncio.sleep(0.05)
    assert found is not None
    late = genesys_sim.sandbox.conversations[conversation].messages[-1]
    assert (late.id, late.provider_message_id) == (found, "wamid.LATE")


async def test_a_client_that_may_not_read_conversations_gets_a_permanent_error(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    tenant = genesys_tenant(genesys_sim)
    _, conversation = await _send(
        genesys_client, genesys_sim, customer_message("wamid.X", "+5511900000004")
    )
    assert conversation is not None
    await fail(genesys_sim, kind="server_error", status=403, operation="conversation")
    with pytest.raises(GenesysPermanentError) as caught:
        await genesys_client.find_inbound(tenant, conversation, "wamid.X")
    assert caught.value.http_status == 403
