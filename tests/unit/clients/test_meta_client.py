"""The Meta client against the Meta simulator: sends, window, read/typing, failures."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from connectors.errors import ConnectorTransportError, ErrorCategory
from connectors.http import HttpTransport
from connectors.meta.client import MetaClient
from connectors.meta.errors import (
    MetaCredentialsError,
    MetaPermanentError,
    MetaRateLimitedError,
    MetaRetryableError,
    MetaWindowClosedError,
)
from connectors.meta.graph import MetaAuth
from schemas.meta.send import SendText, TextContent
from schemas.meta.template import SendTemplate, TemplateContent, TemplateLanguage
from tests.unit.clients.conftest import (
    ACCESS_TOKEN,
    CUSTOMER,
    PHONE_NUMBER_ID,
    MetaSim,
    meta_settings,
)

TO = f"+{CUSTOMER}"


def text(body: str = "Hello from the agent") -> SendText:
    return SendText(messaging_product="whatsapp", to=TO, type="text", text=TextContent(body=body))


async def open_window(sim: MetaSim, *, age_s: float = 0.0) -> None:
    await sim.control(
        "windows", {"phone_number_id": PHONE_NUMBER_ID, "wa_id": CUSTOMER, "age_s": age_s}
    )


async def fail(sim: MetaSim, **rule: Any) -> None:
    await sim.control("failures", rule)


async def test_a_text_inside_the_window_is_accepted_with_a_real_shaped_wamid(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await open_window(meta_sim)
    answer = await meta_client.send(meta_auth, text())
    wamid = answer.messages[0].id
    assert wamid.startswith("wamid.")
    assert CUSTOMER.encode() in base64.b64decode(wamid.removeprefix("wamid."))
    sent = (await meta_sim.inspect("sent"))["sent"]
    assert sent == [
        {
            "wamid": wamid,
            "phone_number_id": PHONE_NUMBER_ID,
            "body": text().model_dump(mode="json", exclude_none=True),
        }
    ]


async def test_every_request_carries_a_request_id(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await open_window(meta_sim)
    await meta_client.send(meta_auth, text())
    await meta_client.mark_read(meta_auth, "wamid.AAB")
    ids = [r["request_id"] for r in (await meta_sim.inspect("requests"))["requests"]]
    assert len(ids) == 2
    assert all(isinstance(i, str) and len(i) == 32 for i in ids)
    assert ids[0] != ids[1]


async def test_free_form_outside_the_window_is_131047_and_a_template_still_goes(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await open_window(meta_sim, age_s=24 * 3600 + 60)
    with pytest.raises(MetaWindowClosedError) as caught:
        await meta_client.send(meta_auth, text())
    assert caught.value.vendor_code == 131047
    assert caught.value.category is ErrorCategory.WINDOW_CLOSED
    assert caught.value.attempts == 1
    assert caught.value.fbtrace_id
    template = SendTemplate(
        messaging_product="whatsapp",
        to=TO,
        type="template",
        template=TemplateContent(name="ticket_update", language=TemplateLanguage(code="pt_BR")),
    )
    answer = await meta_client.send(meta_auth, template)
    assert answer.messages[0].id.startswith("wamid.")


async def test_a_customer_never_heard_from_has_no_window(
    meta_client: MetaClient, meta_auth: MetaAuth
) -> None:
    with pytest.raises(MetaWindowClosedError):
        await meta_client.send(meta_auth, text())


async def test_a_body_our_schema_rejects_is_never_sent(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    body = {"messaging_product": "whatsapp", "to": TO, "type": "text", "text": {"body": ""}}
    with pytest.raises(MetaPermanentError) as caught:
        await meta_client.send(meta_auth, body)
    assert "text.body" in caught.value.reason
    assert caught.value.receipt_reason == "InvalidMessageStructure"
    assert (await meta_sim.inspect("requests"))["requests"] == []


async def test_mark_read_and_typing_bodies(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await meta_client.mark_read(meta_auth, "wamid.AAB")
    await meta_client.show_typing(meta_auth, "wamid.AAC")
    bodies = [r["body"] for r in (await meta_sim.inspect("requests"))["requests"]]
    assert bodies == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.AAB"},
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.AAC",
            "typing_indicator": {"type": "text"},
        },
    ]


async def test_429_with_retry_after_is_waited_then_retried(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await open_window(meta_sim)
    await fail(meta_sim, kind="rate_limit", code=130429, retry_after=1, operation="messages")
    started = time.monotonic()
    answer = await meta_client.send(meta_auth, text())
    assert time.monotonic() - started >= 1.0
    assert answer.messages[0].id
    statuses = [r["status"] for r in (await meta_sim.inspect("requests"))["requests"]]
    assert statuses == [429, 200]


@pytest.mark.parametrize("code", [130429, 80007])
async def test_persistent_rate_limit_is_raised_with_retry_after(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth, code: int
) -> None:
    await open_window(meta_sim)
    await fail(meta_sim, kind="rate_limit", code=code, retry_after=0, count=5)
    with pytest.raises(MetaRateLimitedError) as caught:
        await meta_client.send(meta_auth, text())
    assert caught.value.vendor_code == code
    assert caught.value.retry_after == 0
    assert caught.value.attempts == 3


async def test_a_retry_after_beyond_the_cap_is_not_waited_in_process(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await open_window(meta_sim)
    await fail(meta_sim, kind="rate_limit", retry_after=600)
    with pytest.raises(MetaRateLimitedError) as caught:
        await meta_client.send(meta_auth, text())
    assert (caught.value.retry_after, caught.value.attempts) == (600, 1)


async def test_5xx_is_retried_then_succeeds(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await open_window(meta_sim)
    await fail(meta_sim, kind="server_error", status=503, count=2)
    answer = await meta_client.send(meta_auth, text())
    assert answer.messages[0].id
    statuses = [r["status"] for r in (await meta_sim.inspect("requests"))["requests"]]
    assert statuses == [503, 503, 200]


async def test_persistent_5xx_is_raised_retryable_after_the_attempts(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await fail(meta_sim, kind="server_error", code=131000, count=3)
    with pytest.raises(MetaRetryableError) as caught:
        await meta_client.mark_read(meta_auth, "wamid.AAB")
    assert caught.value.vendor_code == 131000
    assert caught.value.attempts == 3


async def test_a_send_that_times_out_is_not_repeated(
    transport: HttpTransport, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    client = MetaClient(transport, meta_settings(meta_sim, timeout_s=0.2))
    await open_window(meta_sim)
    await fail(meta_sim, kind="timeout", delay_s=0.6)
    with pytest.raises(ConnectorTransportError) as caught:
        await client.send(meta_auth, text())
    assert caught.value.timed_out
    assert caught.value.maybe_sent
    assert caught.value.retriable
    assert caught.value.attempts == 1
    # The simulator still accepted it: exactly why a blind resend could double it.
    await _until(lambda: len(meta_sim.sandbox.sent) == 1)


async def test_mark_read_that_times_out_is_retried(
    transport: HttpTransport, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    client = MetaClient(transport, meta_settings(meta_sim, timeout_s=0.2))
    await fail(meta_sim, kind="timeout", delay_s=0.6)
    await client.mark_read(meta_auth, "wamid.AAB")
    await _until(lambda: len(meta_sim.sandbox.requests.entries) == 2)


async def test_bad_token_is_190_credentials_and_not_retried(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await open_window(meta_sim)
    await fail(meta_sim, kind="bad_token", count=3)
    with pytest.raises(MetaCredentialsError) as caught:
        await meta_client.send(meta_auth, text())
    assert (caught.value.vendor_code, caught.value.http_status) == (190, 401)
    assert caught.value.alert
    assert caught.value.attempts == 1


async def test_a_revoked_token_answers_190(
    meta_client: MetaClient, meta_sim: MetaSim, meta_auth: MetaAuth
) -> None:
    await meta_sim.control("tokens/revoke", {"access_token": ACCESS_TOKEN})
    with pytest.raises(MetaCredentialsError) as caught:
        await meta_client.mark_read(meta_auth, "wamid.AAB")
    assert caught.value.vendor_code == 190


async def test_another_numbers_token_is_refused(meta_client: MetaClient, meta_sim: MetaSim) -> None:
    await meta_sim.control(
        "numbers", {"phone_number_id": "999000111", "access_token": "other-token"}
    )
    auth = MetaAuth(access_token="other-token", phone_number_id=PHONE_NUMBER_ID)
    with pytest.raises(MetaPermanentError) as caught:
        await meta_client.mark_read(auth, "wamid.AAB")
    assert (caught.value.vendor_code, caught.value.error_subcode) == (100, 33)


def test_the_token_never_shows_in_a_repr() -> None:
    assert ACCESS_TOKEN not in repr(MetaAuth(access_token=ACCESS_TOKEN, phone_number_id="1"))


async def _until(condition: Any, timeout_s: float = 3.0) -> None:
    import asyncio

    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
