"""The Genesys client's callbacks against the Genesys simulator: created, refused, not repeated."""

from __future__ import annotations

import pytest

from connectors.errors import ConnectorTransportError
from connectors.genesys.client import GenesysClient
from connectors.genesys.errors import GenesysPermanentError, GenesysRetryableError
from connectors.http import HttpTransport
from schemas.genesys.callbacks import CreateCallbackCommand
from tests.unit.clients.conftest import CLIENT_ID, GenesysSim, genesys_settings, genesys_tenant
from tests.unit.clients.test_genesys_client import fail, statuses

QUEUE = "3b1f6d9c-6f55-4ad4-9d6e-4e0c1f0f2a11"


def callback(number: str = "+5511987654321", queue: str = QUEUE) -> CreateCallbackCommand:
    return CreateCallbackCommand(
        queue_id=queue,
        callback_numbers=[number],
        callback_user_name="Ana Souza",
        data={"whatsapp_call_id": "wacid.ABC"},
    )


async def test_a_callback_is_created_in_its_queue_with_its_data(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    await genesys_sim.control("queues", {"queue_id": QUEUE})
    created = await genesys_client.create_callback(genesys_tenant(genesys_sim), callback())
    [stored] = genesys_sim.sandbox.callbacks
    assert created.conversation.id == stored.conversation_id
    assert [(c.type, c.id) for c in created.callback_identifiers] == [
        ("EXTERNAL", stored.callback_id)
    ]
    assert (stored.client_id, stored.queue_id, stored.numbers) == (
        CLIENT_ID,
        QUEUE,
        ["+5511987654321"],
    )
    assert (stored.user_name, stored.data) == ("Ana Souza", {"whatsapp_call_id": "wacid.ABC"})
    listed = (await genesys_sim.inspect("callbacks"))["callbacks"]
    assert [item["conversation_id"] for item in listed] == [stored.conversation_id]


async def test_the_wire_is_genesys_camel_case() -> None:
    assert callback().model_dump(mode="json", exclude_none=True) == {
        "queueId": QUEUE,
        "callbackNumbers": ["+5511987654321"],
        "callbackUserName": "Ana Souza",
        "data": {"whatsapp_call_id": "wacid.ABC"},
    }


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (callback(queue="no-such-queue"), "Queue no-such-queue not found"),
        (callback(number="5511987654321"), "Invalid callback number"),
    ],
)
async def test_an_unknown_queue_or_a_bad_number_is_a_permanent_400(
    genesys_client: GenesysClient, genesys_sim: GenesysSim, body: CreateCallbackCommand, why: str
) -> None:
    await genesys_sim.control("queues", {"queue_id": QUEUE})
    with pytest.raises(GenesysPermanentError) as caught:
        await genesys_client.create_callback(genesys_tenant(genesys_sim), body)
    assert caught.value.http_status == 400
    assert why in str(caught.value.body)
    assert genesys_sim.sandbox.callbacks == []


async def test_a_callback_that_times_out_is_never_repeated(
    transport: HttpTransport, genesys_sim: GenesysSim
) -> None:
    await genesys_sim.control("queues", {"queue_id": QUEUE})
    client = GenesysClient(transport, genesys_settings(genesys_sim, timeout_s=0.2))
    await fail(genesys_sim, kind="timeout", delay_s=0.6, operation="callbacks")
    with pytest.raises(ConnectorTransportError) as caught:
        await client.create_callback(genesys_tenant(genesys_sim), callback())
    assert (caught.value.maybe_sent, caught.value.attempts) == (True, 1)
    # The simulator acted on it (as Genesys may have): one callback, one request.
    assert len(genesys_sim.sandbox.callbacks) == 1
    assert await statuses(genesys_sim, "callbacks") == [200]


async def test_an_answered_5xx_created_nothing_so_it_is_retried_once_created(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    await genesys_sim.control("queues", {"queue_id": QUEUE})
    await fail(genesys_sim, kind="server_error", status=503, operation="callbacks")
    await genesys_client.create_callback(genesys_tenant(genesys_sim), callback())
    assert await statuses(genesys_sim, "callbacks") == [503, 200]
    assert len(genesys_sim.sandbox.callbacks) == 1


async def test_a_persistent_5xx_is_raised_retryable(
    transport: HttpTransport, genesys_sim: GenesysSim
) -> None:
    await genesys_sim.control("queues", {"queue_id": QUEUE})
    client = GenesysClient(transport, genesys_settings(genesys_sim, retry_attempts=2))
    await fail(genesys_sim, kind="server_error", status=503, operation="callbacks", count=2)
    with pytest.raises(GenesysRetryableError):
        await client.create_callback(genesys_tenant(genesys_sim), callback())
    assert genesys_sim.sandbox.callbacks == []


async def test_without_a_valid_token_the_simulator_answers_401(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    async with genesys_sim.session.post(
        f"{genesys_sim.url}/api/v2/conversations/callbacks",
        json=callback().model_dump(mode="json", exclude_none=True),
        headers={"Authorization": "Bearer not-a-token"},
    ) as response:
        assert response.status == 401
        assert (await response.json())["code"] == "bad.credentials"


async def test_unknown_fields_are_refused_like_genesys_strict_models(
    genesys_client: GenesysClient, genesys_sim: GenesysSim
) -> None:
    token = await genesys_client.tokens.token(genesys_tenant(genesys_sim))
    body = {**callback().model_dump(mode="json", exclude_none=True), "routingDatax": {}}
    async with genesys_sim.session.post(
        f"{genesys_sim.url}/api/v2/conversations/callbacks",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 400
        assert "routingDatax" in (await response.json())["message"]
