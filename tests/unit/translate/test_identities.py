"""Who a customer is on each side: ids in any formatting, business-scoped user ids, groups,
and the one stable key the identity store gives a customer (the Genesys ``from.id``)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connectors.translate import customer_key, genesys_customer, message_to_genesys, meta_recipient
from connectors.translate.context import Recipient
from schemas.meta import SEND_BODY
from schemas.meta.send_common import SendBase
from tests.unit.schemas.bodies import customer_contact, message
from tests.unit.translate.support import assert_genesys_valid, genesys_target, message_event, wire

BSUID = "US.13491208655302741918"
GROUP = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+16505551234", "16505551234"),
        ("16505551234", "16505551234"),
        ("+55 11 98765-4321", "5511987654321"),
        ("+1 (650) 555.1234", "16505551234"),
        (BSUID, BSUID),
        ("US.ENT.11815799212886844830", "US.ENT.11815799212886844830"),
        (GROUP, GROUP),
        ("+1 abc", "+1 abc"),
    ],
)
def test_customer_keys_are_digits_for_numbers_and_unchanged_otherwise(raw: str, key: str) -> None:
    assert customer_key(raw) == key


def test_genesys_sees_numbers_as_phones_and_everything_else_as_opaque() -> None:
    assert genesys_customer("+16505551234") == ("+16505551234", "Phone")
    assert genesys_customer("16505551234") == ("+16505551234", "Phone")
    assert genesys_customer(BSUID) == (BSUID, "Opaque")
    assert genesys_customer(GROUP) == (GROUP, "Opaque")


def test_without_the_store_a_number_goes_by_to_and_a_bsuid_by_recipient() -> None:
    assert meta_recipient("+55 11 98765-4321") == Recipient("phone", "+5511987654321")
    assert meta_recipient(BSUID) == Recipient("user_id", BSUID)
    assert meta_recipient(GROUP) is None  # a group is known only to the identity store


def send(**addressing: Any) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "type": "text", "text": {"body": "Hi"}, **addressing}


def addressee(body: dict[str, Any]) -> str:
    parsed = SEND_BODY.validate_python(body)
    assert isinstance(parsed, SendBase)
    return parsed.addressee


def test_a_send_body_names_exactly_one_addressee() -> None:
    assert addressee(send(recipient=BSUID)) == BSUID
    assert addressee(send(to="+16505551234")) == "+16505551234"
    assert addressee(send(recipient_type="group", to=GROUP)) == GROUP
    for bad in (
        send(),
        send(to="+16505551234", recipient=BSUID),
        send(recipient="not-a-bsuid"),
        send(recipient_type="group", recipient=BSUID),
        send(to=GROUP),
    ):
        with pytest.raises(ValidationError):
            SEND_BODY.validate_python(bad)


def test_a_plus_in_from_is_a_phone_customer_not_an_opaque_one() -> None:
    event = message_event(
        {**message("text", {"body": "hi"}), "from": "+16505551234"},
        contacts=[customer_contact(wa_id="+16505551234")],
    )
    assert event.customer == "16505551234"
    channel = wire(message_to_genesys(event, genesys_target()))["channel"]
    assert channel["from"]["id"] == "+16505551234"
    assert channel["from"]["idType"] == "Phone"


def test_a_customer_known_by_number_and_bsuid_is_keyed_by_the_bsuid() -> None:
    contact = {**customer_contact(), "user_id": BSUID, "parent_user_id": "US.ENT.1"}
    event = message_event(message("text", {"body": "hi"}), contacts=[contact])
    ids = event.customer_ids()
    assert (ids.wa_id, ids.user_id, ids.parent_user_id) == ("5511987654321", BSUID, "US.ENT.1")
    assert event.key == f"acme:{BSUID}"  # the id every 2026 webhook carries
    assert event.customer == "5511987654321"  # shown to the agent as a phone at first sight


def test_the_stored_key_is_the_genesys_customer_whatever_ids_the_webhook_carries() -> None:
    only_bsuid = {k: v for k, v in message("text", {"body": "hi"}).items() if k != "from"}
    event = message_event(
        {**only_bsuid, "from_user_id": BSUID},
        contacts=[{"profile": {"name": "Ana"}, "user_id": BSUID}],
    )
    assert event.customer == BSUID
    call = message_to_genesys(event, genesys_target(customer_key="5511987654321"))
    assert wire(call)["channel"]["from"] == {
        "id": "+5511987654321",
        "idType": "Phone",
        "nickname": "Ana",
        "firstName": "Ana",
    }
    assert_genesys_valid(call)


def test_a_group_message_threads_by_the_group_and_says_who_wrote_it() -> None:
    event = message_event({**message("text", {"body": "anyone there?"}), "group_id": GROUP})
    assert event.customer == GROUP
    assert event.key == f"acme:{GROUP}"
    call = message_to_genesys(event, genesys_target())
    body = wire(call)
    assert body["channel"]["from"]["id"] == GROUP
    assert body["channel"]["from"]["idType"] == "Opaque"
    assert body["channel"]["from"]["nickname"] == "WhatsApp group"
    assert body["text"] == "[Ana Souza (+5511987654321) in the group:]\nanyone there?"
    assert body["metadata"]["group_id"] == GROUP
    assert_genesys_valid(call)
