"""The bodies the load generator sends, and the tenants it signs them for.

Every message carries a benchmark id (``<run>-<seq>``): in the Meta webhook's wamid
(which the pipeline passes on as Genesys's ``channel.messageId``) and in the text
(``bench:<id>``, which an agent reply carries through to the Meta send body), so the
simulators can time each one's arrival.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, TypeAdapter

from connectors.signatures import SIGNATURE_HEADER, sign_genesys, sign_meta

WAMID_PREFIX = "wamid.bench-"
TEXT_PREFIX = "bench:"


class BenchTenant(BaseModel):
    """A benchmark tenant: ids and the secrets its Meta app and Genesys org sign with."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    number: str
    app_secret: str
    access_token: str
    client_id: str
    client_secret: str
    integration_id: str
    outbound_secret: str


TENANTS = TypeAdapter(list[BenchTenant])


def save_tenants(path: Path, tenants: list[BenchTenant]) -> None:
    """Write tenants (with their secrets: the file lives in the run's scratch directory)."""
    path.write_bytes(TENANTS.dump_json(tenants))


def load_tenants(path: Path) -> list[BenchTenant]:
    """Read what ``save_tenants`` wrote."""
    return TENANTS.validate_json(path.read_bytes())


def meta_webhook(tenant: BenchTenant, customer: str, bench_id: str) -> bytes:
    """A Meta webhook with one customer text message, as Meta posts it."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": tenant.number},
        "contacts": [{"profile": {"name": f"Customer {customer[-4:]}"}, "wa_id": customer}],
        "messages": [
            {
                "from": customer,
                "id": f"{WAMID_PREFIX}{bench_id}",
                "timestamp": str(int(time.time())),
                "text": {"body": f"{TEXT_PREFIX}{bench_id} where is my order?"},
                "type": "text",
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def genesys_webhook(tenant: BenchTenant, customer: str, bench_id: str) -> bytes:
    """An agent's text reply, as Genesys posts its outbound webhook."""
    ident = uuid.uuid4().hex
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = {
        "id": ident,
        "channel": {
            "id": tenant.integration_id,
            "platform": "Open",
            "type": "Private",
            "to": {"id": f"+{customer}", "idType": "Phone"},
            "from": {"id": tenant.integration_id, "idType": "Opaque", "nickname": "Agent"},
            "time": now,
            "messageId": ident,
        },
        "type": "Text",
        "text": f"{TEXT_PREFIX}{bench_id} it ships tomorrow",
        "direction": "Outbound",
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signed(kind: str, tenant: BenchTenant, customer: str, bench_id: str) -> tuple[bytes, str]:
    """(body, signature header value) of one webhook of ``kind`` (``meta`` or ``genesys``)."""
    if kind == "meta":
        body = meta_webhook(tenant, customer, bench_id)
        return body, sign_meta(body, tenant.app_secret)
    body = genesys_webhook(tenant, customer, bench_id)
    return body, sign_genesys(body, tenant.outbound_secret)


__all__ = ["SIGNATURE_HEADER", "BenchTenant", "load_tenants", "save_tenants", "signed"]
