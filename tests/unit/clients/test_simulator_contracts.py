"""The simulators hold the reference's contracts: Meta's send rules, signed webhooks, URLs."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from connectors.meta.client import MetaClient
from connectors.meta.errors import MetaError, classify_meta_error
from connectors.meta.graph import MetaAuth
from connectors.meta.webhook import split_webhook
from connectors.signatures import SIGNATURE_HEADER, verify_genesys_signature, verify_meta_signature
from schemas.events import MessageReceived, StatusReceived
from schemas.genesys import (
    OUTBOUND_WEBHOOK,
    OpenEventNormalizedMessage,
    OpenReceiptNormalizedMessage,
)
from tests.unit.clients.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    CUSTOMER,
    INTEGRATION_ID,
    PHONE_NUMBER_ID,
    WEBHOOK_SECRET,
    GenesysSim,
    MetaSim,
    Receiver,
)
from tests.unit.schemas.reference import META_EXAMPLES, load_json, read_tsv

EXPECTED = read_tsv(META_EXAMPLES / "EXPECTED.tsv")
AUTH = {"Authorization": f"Bearer {ACCESS_TOKEN}"}


def _media_ids(body: Any) -> list[str]:
    """Every ``{"id": <digits>}`` media reference in a send body."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "id" and isinstance(value, str) and value.isdigit():
                found.append(value)
            found.extend(_media_ids(value))
    elif isinstance(body, list):
        for item in body:
            found.extend(_media_ids(item))
    return found


@pytest.mark.parametrize("row", EXPECTED, ids=[row["file"] for row in EXPECTED])
async def test_the_simulator_judges_meta_examples_like_the_reference(
    meta_sim: MetaSim, session: aiohttp.ClientSession, row: dict[str, str]
) -> None:
    raw = (META_EXAMPLES / row["file"]).read_bytes()
    body = load_json(META_EXAMPLES / row["file"])
    to = body.get("to") if isinstance(body, dict) else None
    if isinstance(to, str):
        await meta_sim.control("windows", {"phone_number_id": PHONE_NUMBER_ID, "wa_id": to})
    for ident in _media_ids(body):
        await meta_sim.control(
            "media",
            {
                "phone_number_id": PHONE_NUMBER_ID,
                "id": ident,
                "data_b64": "AA==",
                "mime_type": "image/jpeg",
            },
        )
    url = f"{meta_sim.url}/v23.0/{PHONE_NUMBER_ID}/messages"
    headers = {**AUTH, "Content-Type": "application/json"}
    async with session.post(url, data=raw, headers=headers) as response:
        answer = await response.json()
    if row["expected"] == "valid":
        assert response.status == 200, answer
        assert answer.get("success") is True or answer["messages"][0]["id"].startswith("wamid.")
    else:
        assert response.status == 400, answer
        error = classify_meta_error(response.status, answer)
        assert isinstance(error, MetaError)
        assert error.vendor_code == 100
        assert error.fbtrace_id
        assert error.details


async def test_the_window_closed_error_has_metas_body(
    meta_sim: MetaSim, session: aiohttp.ClientSession
) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": f"+{CUSTOMER}",
        "type": "text",
        "text": {"body": "hi"},
    }
    url = f"{meta_sim.url}/v23.0/{PHONE_NUMBER_ID}/messages"
    async with session.post(url, json=body, headers=AUTH) as response:
        answer = await response.json()
    error = answer["error"]
    assert error["code"] == 131047
    assert error["type"] == "OAuthException"
    assert error["message"] == "(#131047) Re-engagement message"
    assert "24 hours" in error["error_data"]["details"]


async def test_an_upload_whose_bytes_are_declared_otherwise_is_131053(
    meta_sim: MetaSim, session: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    form.add_field("messaging_product", "whatsapp")
    form.add_field("type", "image/png")
    form.add_field("file", b"\xff\xd8\xff", filename="x.jpg", content_type="image/jpeg")
    url = f"{meta_sim.url}/v23.0/{PHONE_NUMBER_ID}/media"
    async with session.post(url, data=form, headers=AUTH) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == 131053


async def test_an_expired_download_url_is_looked_up_again(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    seeded = await meta_sim.control(
        "media",
        {"phone_number_id": PHONE_NUMBER_ID, "data_b64": "AAEC", "mime_type": "image/jpeg"},
    )
    info = await meta_client.media.info(meta_auth, seeded["id"])
    start = meta_sim.sandbox.clock()
    meta_sim.sandbox.clock = lambda: start + 301  # the URL lived its five minutes
    with pytest.raises(MetaError) as caught:
        await meta_client.media.download(meta_auth, info)
    assert caught.value.http_status == 404
    media = await meta_client.media.fetch(meta_auth, seeded["id"])
    assert media.data == b"\x00\x01\x02"


async def test_meta_message_and_status_webhooks_are_signed_and_split(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth, receiver: Receiver
) -> None:
    await meta_sim.control(
        "webhooks/message",
        {"phone_number_id": PHONE_NUMBER_ID, "from": CUSTOMER, "text": "Olá, ação!"},
    )
    sent = await meta_client.send(
        meta_auth,
        {
            "messaging_product": "whatsapp",
            "to": f"+{CUSTOMER}",
            "type": "text",
            "text": {"body": "Hi"},
            "biz_opaque_callback_data": "genesys-msg-1",
        },
    )
    wamid = sent.messages[0].id
    await meta_sim.control(
        "webhooks/status",
        {"phone_number_id": PHONE_NUMBER_ID, "id": wamid, "status": "failed", "error_code": 131047},
    )
    first, second = receiver.received
    for delivery in (first, second):
        verify_meta_signature(delivery.body, delivery.headers[SIGNATURE_HEADER], APP_SECRET)
    assert b"\\u00e7" in first.body  # non-ASCII escaped, as Meta sends it
    now = datetime.now(UTC)
    (message,) = split_webhook(first.body, "acme", now)
    assert isinstance(message, MessageReceived)
    assert (message.customer, message.phone_number_id) == (CUSTOMER, PHONE_NUMBER_ID)
    (status,) = split_webhook(second.body, "acme", now)
    assert isinstance(status, StatusReceived)
    assert status.message_id == wamid
    assert status.payload.biz_opaque_callback_data == "genesys-msg-1"
    assert status.payload.errors is not None
    assert status.payload.errors[0].code == 131047


async def test_genesys_typing_and_receipt_webhooks_are_signed(
    genesys_sim: GenesysSim, receiver: Receiver
) -> None:
    for kind in ("Event", "Receipt"):
        await genesys_sim.control(
            "webhooks/outbound",
            {"integration_id": INTEGRATION_ID, "to": f"+{CUSTOMER}", "type": kind},
        )
    typing, receipt = receiver.received
    for delivery in (typing, receipt):
        header = delivery.headers[SIGNATURE_HEADER]
        assert len(header) == len("sha256=") + 44  # base64, not hex
        verify_genesys_signature(delivery.body, header, WEBHOOK_SECRET)
    assert isinstance(OUTBOUND_WEBHOOK.validate_json(typing.body), OpenEventNormalizedMessage)
    assert isinstance(OUTBOUND_WEBHOOK.validate_json(receipt.body), OpenReceiptNormalizedMessage)


async def test_real_shaped_meta_ids(meta_sim: MetaSim, receiver: Receiver) -> None:
    answer = await meta_sim.control(
        "webhooks/message",
        {"phone_number_id": PHONE_NUMBER_ID, "from": CUSTOMER, "text": "hi"},
    )
    wamid = answer["body"]["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    decoded = base64.b64decode(wamid.removeprefix("wamid."), validate=True)
    assert decoded.startswith(b"\x1c\x18\x0d" + CUSTOMER.encode())
