"""The business-account client against the Meta simulator: the number, the token's WABAs,
and the webhook subscription whose callback override Meta checks before it answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.http import HttpTransport
from connectors.meta.business import MANAGEMENT_SCOPE, MetaBusiness
from connectors.meta.errors import MetaCredentialsError, MetaError, MetaPermanentError
from connectors.meta.graph import MetaAuth
from connectors.sandbox.meta_state import NumberConfig
from schemas.meta.business import SubscriptionRequest
from tests.unit.clients.conftest import PHONE_NUMBER_ID, MetaSim, Receiver, meta_settings

WABA = "102290129340398"  # the fixture number's


@pytest.fixture
def business(transport: HttpTransport, meta_sim: MetaSim) -> MetaBusiness:
    return MetaBusiness(transport, meta_settings(meta_sim))


@pytest.fixture
async def callback() -> AsyncIterator[str]:
    """A webhook endpoint that answers Meta's check for the verify token ``good-token``."""

    async def handshake(request: web.Request) -> web.Response:
        if request.query.get("hub.verify_token") != "good-token":
            return web.Response(status=403)
        return web.Response(text=request.query["hub.challenge"])

    app = web.Application()
    app.router.add_get("/hook", handshake)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/hook"))
    finally:
        await server.close()


async def test_the_number_and_the_tokens_wabas(business: MetaBusiness, meta_auth: MetaAuth) -> None:
    info = await business.phone_number(meta_auth)
    assert (info.id, info.verified_name, info.quality_rating) == (
        PHONE_NUMBER_ID,
        "Sandbox Business",
        "GREEN",
    )
    assert info.throughput is not None
    assert info.throughput.level == "STANDARD"
    assert info.status == "CONNECTED"
    token = await business.token(meta_auth)
    assert token.is_valid
    assert token.targets(MANAGEMENT_SCOPE) == [WABA]
    assert [n.id for n in await business.waba_numbers(meta_auth, WABA)] == [PHONE_NUMBER_ID]


async def test_a_bad_token_and_a_number_it_cannot_reach_fail_as_meta_does(
    business: MetaBusiness, meta_sim: MetaSim
) -> None:
    with pytest.raises(MetaCredentialsError) as caught:
        await business.phone_number(
            MetaAuth(access_token="EAAG-nope", phone_number_id=PHONE_NUMBER_ID)
        )
    assert caught.value.vendor_code == 190
    meta_sim.sandbox.numbers["999"] = NumberConfig(
        phone_number_id="999", access_token="EAAG-other", waba_id="555"
    )
    other = MetaAuth(access_token="EAAG-other", phone_number_id=PHONE_NUMBER_ID)
    with pytest.raises(MetaPermanentError) as unreachable:
        await business.phone_number(other)
    assert unreachable.value.vendor_code == 100
    with pytest.raises(MetaCredentialsError) as foreign:
        await business.waba_numbers(other, WABA)
    assert foreign.value.vendor_code == 200


async def test_a_subscription_with_a_verified_override_sends_webhooks_there(
    business: MetaBusiness,
    meta_auth: MetaAuth,
    meta_sim: MetaSim,
    callback: str,
    receiver: Receiver,
) -> None:
    await business.subscribe(
        meta_auth,
        WABA,
        SubscriptionRequest(override_callback_uri=callback, verify_token="good-token"),
    )
    [app] = (await business.subscriptions(meta_auth, WABA)).data
    assert app.override_callback_uri == callback
    assert meta_sim.sandbox.callback_of(meta_sim.sandbox.numbers[PHONE_NUMBER_ID]) == callback
    await business.unsubscribe(meta_auth, WABA)
    assert (await business.subscriptions(meta_auth, WABA)).data == []
    # Back to the app's own callback (the fixture's receiver).
    assert meta_sim.sandbox.callback_of(meta_sim.sandbox.numbers[PHONE_NUMBER_ID]) == receiver.url


async def test_an_override_meta_cannot_verify_or_a_refusing_waba_is_an_error(
    business: MetaBusiness, meta_auth: MetaAuth, meta_sim: MetaSim, callback: str
) -> None:
    with pytest.raises(MetaError) as unverified:
        await business.subscribe(
            meta_auth, WABA, SubscriptionRequest(override_callback_uri=callback, verify_token="bad")
        )
    assert (unverified.value.http_status, unverified.value.vendor_code) == (422, 100)
    meta_sim.sandbox.refusing_wabas.add(WABA)
    with pytest.raises(MetaCredentialsError) as refused:
        await business.subscribe(
            meta_auth,
            WABA,
            SubscriptionRequest(override_callback_uri=callback, verify_token="good-token"),
        )
    assert refused.value.vendor_code == 200
    assert meta_sim.sandbox.subscriptions == {}
