"""Media end to end: an inbound image fetched from Meta, an agent attachment sent by id."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from connectors.genesys.attachments import GenesysAttachments
from connectors.http import HttpTransport
from connectors.meta.client import MetaClient
from connectors.meta.errors import (
    MetaCredentialsError,
    MetaMediaIntegrityError,
    MetaPermanentError,
)
from connectors.meta.graph import MetaAuth
from connectors.meta.media import sha256_matches
from connectors.signatures import SIGNATURE_HEADER, verify_genesys_signature, verify_meta_signature
from schemas.genesys import OUTBOUND_WEBHOOK, OpenMessageNormalizedMessage
from schemas.meta import Entry, ImageMessage, MessagesChange, WebhookPayload
from schemas.meta.media import MediaInfo
from schemas.meta.send import SendImage
from schemas.meta.send_common import CaptionedMedia
from tests.unit.clients.conftest import (
    APP_SECRET,
    CUSTOMER,
    INTEGRATION_ID,
    PHONE_NUMBER_ID,
    WEBHOOK_SECRET,
    GenesysSim,
    MetaSim,
    Receiver,
    genesys_settings,
)

# A JPEG header and random bytes: the simulator checks types by declared MIME, like Meta.
PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(2048)
LABEL = b"\x89PNG\r\n\x1a\n" + os.urandom(1024)


async def test_inbound_image_is_fetched_by_id_with_bearer_and_sha256_checked(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth, receiver: Receiver
) -> None:
    answer = await meta_sim.control(
        "webhooks/message",
        {
            "phone_number_id": PHONE_NUMBER_ID,
            "from": CUSTOMER,
            "image": {"data_b64": base64.b64encode(PHOTO).decode(), "caption": "the box"},
        },
    )
    assert answer["delivery_status"] == 200
    (delivery,) = receiver.received
    verify_meta_signature(delivery.body, delivery.headers[SIGNATURE_HEADER], APP_SECRET)
    entry = WebhookPayload.model_validate_json(delivery.body).entry[0]
    assert isinstance(entry, Entry)
    change = entry.changes[0]
    assert isinstance(change, MessagesChange)
    image = (change.value.messages or [])[0]
    assert isinstance(image, ImageMessage)

    media = await meta_client.media.fetch(
        meta_auth, image.image.id, expected_sha256=image.image.sha256
    )
    assert media.data == PHOTO
    assert media.mime_type == "image/jpeg"
    assert media.sha256 == base64.b64encode(hashlib.sha256(PHOTO).digest()).decode()
    operations = [r["operation"] for r in meta_sim.sandbox.requests.entries]
    assert operations == ["media_info", "media_download"]


async def test_media_download_needs_the_numbers_token(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    seeded = await meta_sim.control(
        "media",
        {
            "phone_number_id": PHONE_NUMBER_ID,
            "data_b64": base64.b64encode(PHOTO).decode(),
            "mime_type": "image/jpeg",
        },
    )
    info = await meta_client.media.info(meta_auth, seeded["id"])
    await meta_sim.control("numbers", {"phone_number_id": "777", "access_token": "t-777"})
    stranger = MetaAuth(access_token="t-777", phone_number_id="777")
    with pytest.raises(MetaCredentialsError):
        await meta_client.media.download(stranger, info)


async def test_bytes_that_do_not_match_the_webhook_sha256_are_refused(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    seeded = await meta_sim.control(
        "media",
        {
            "phone_number_id": PHONE_NUMBER_ID,
            "data_b64": base64.b64encode(PHOTO).decode(),
            "mime_type": "image/jpeg",
        },
    )
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(MetaMediaIntegrityError) as caught:
        await meta_client.media.fetch(meta_auth, seeded["id"], expected_sha256=wrong)
    assert caught.value.retriable


async def test_a_download_url_off_meta_never_gets_the_token(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    info = MediaInfo(url="https://evil.example/steal", mime_type="image/jpeg", id="1")
    with pytest.raises(MetaPermanentError):
        await meta_client.media.download(meta_auth, info)
    assert meta_sim.sandbox.requests.entries == []


async def test_a_type_whatsapp_refuses_is_not_uploaded(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    with pytest.raises(MetaPermanentError) as caught:
        await meta_client.media.upload(meta_auth, b"GIF89a", mime_type="image/gif", filename="a")
    assert caught.value.receipt_reason == "MediaTypeNotAllowed"
    assert meta_sim.sandbox.requests.entries == []


async def test_uploaded_media_can_be_deleted(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    uploaded = await meta_client.media.upload(
        meta_auth, PHOTO, mime_type="image/jpeg", filename="p.jpg"
    )
    await meta_client.media.delete(meta_auth, uploaded.id)
    assert uploaded.id not in meta_sim.sandbox.media


async def test_agent_attachment_is_downloaded_uploaded_and_sent_by_id(
    transport: HttpTransport,
    meta_client: MetaClient,
    meta_sim: MetaSim,
    meta_auth: MetaAuth,
    genesys_sim: GenesysSim,
    receiver: Receiver,
) -> None:
    async with genesys_sim.session.post(
        f"{genesys_sim.url}/_sandbox/attachments",
        params={"mime": "image/png", "filename": "return-label.png"},
        data=LABEL,
    ) as response:
        hosted = (await response.json())["url"]
    await genesys_sim.control(
        "webhooks/outbound",
        {
            "integration_id": INTEGRATION_ID,
            "to": f"+{CUSTOMER}",
            "text": "Here is your label",
            "attachment": {"url": hosted, "mime": "image/png", "filename": "return-label.png"},
        },
    )
    (delivery,) = receiver.received
    verify_genesys_signature(delivery.body, delivery.headers[SIGNATURE_HEADER], WEBHOOK_SECRET)
    webhook = OUTBOUND_WEBHOOK.validate_json(delivery.body)
    assert isinstance(webhook, OpenMessageNormalizedMessage)
    attachment = (webhook.content or [])[0].attachment
    assert attachment is not None
    assert attachment.url is not None

    downloaded = await GenesysAttachments(transport, genesys_settings(genesys_sim)).download(
        attachment.url, mime_type=attachment.mime, filename=attachment.filename
    )
    assert downloaded.data == LABEL
    assert downloaded.filename == "return-label.png"
    uploaded = await meta_client.media.upload(
        meta_auth, downloaded.data, mime_type=downloaded.mime_type, filename=downloaded.filename
    )
    await meta_sim.control("windows", {"phone_number_id": PHONE_NUMBER_ID, "wa_id": CUSTOMER})
    sent = await meta_client.send(
        meta_auth,
        SendImage(
            messaging_product="whatsapp",
            to=webhook.channel.to.id,
            type="image",
            image=CaptionedMedia(id=uploaded.id, caption=webhook.text),
        ),
    )
    (record,) = meta_sim.sandbox.sent
    assert record["wamid"] == sent.messages[0].id
    assert record["body"]["image"] == {"id": uploaded.id, "caption": "Here is your label"}
    stored = meta_sim.sandbox.media[uploaded.id]
    assert stored.data == LABEL
    assert stored.mime_type == "image/png"


async def test_sending_an_unknown_media_id_is_refused(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await meta_sim.control("windows", {"phone_number_id": PHONE_NUMBER_ID, "wa_id": CUSTOMER})
    body = SendImage(
        messaging_product="whatsapp",
        to=f"+{CUSTOMER}",
        type="image",
        image=CaptionedMedia(id="123456"),
    )
    with pytest.raises(MetaPermanentError) as caught:
        await meta_client.send(meta_auth, body)
    assert caught.value.vendor_code == 100


def test_sha256_is_checked_in_either_spelling() -> None:
    digest = hashlib.sha256(PHOTO).digest()
    assert sha256_matches(PHOTO, digest.hex())
    assert sha256_matches(PHOTO, base64.b64encode(digest).decode())
    assert not sha256_matches(PHOTO, "not a digest")
    assert not sha256_matches(b"other", digest.hex())
