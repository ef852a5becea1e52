"""Builders shared by the translation tests: events from raw Meta bodies, fake tracking,
and the two contract checks (Genesys's strict JSON Schemas, Meta's ``validate_send.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.meta.webhook import split_webhook
from connectors.translate import GenesysCall, GenesysEndpoint, GenesysTarget, MetaCall, MetaTarget
from schemas.events import MessageReceived, StatusReceived, WhatsAppEvent
from tests.unit.schemas.bodies import customer_contact, webhook_body, webhook_value
from tests.unit.schemas.reference import (
    REFERENCE,
    schema_errors,
    wagen_schema_errors,
    without_wagen_overlays,
)

TENANT = "acme"
RECEIVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
INTEGRATION = "c6b0e62f-8487-44fd-a218-c16e006a7a23"
PHONE_NUMBER_ID = "106540352242922"
MEDIA_BASE = "https://media.wagen.test/m"

SCHEMA_KINDS = {
    GenesysEndpoint.MESSAGE: "inbound-message",
    GenesysEndpoint.RECEIPT: "inbound-receipt",
    GenesysEndpoint.EVENT: "inbound-event",
    GenesysEndpoint.STRUCTURED_RESPONSE: "inbound-structured-response",
}
"""The strict schema each Genesys endpoint's body must pass."""


def events_of(body: Mapping[str, Any]) -> list[WhatsAppEvent]:
    """The events of a whole webhook body, as the pipeline splits it."""
    return split_webhook(dict(body), TENANT, RECEIVED)


def message_event(
    message: dict[str, Any], *, contacts: list[dict[str, Any]] | None = None
) -> MessageReceived:
    """The event of one inbound message (with the customer's contact unless given)."""
    value = webhook_value(
        messages=[message], contacts=[customer_contact()] if contacts is None else contacts
    )
    (event,) = events_of(webhook_body(value))
    assert isinstance(event, MessageReceived)
    return event


def status_event(status: dict[str, Any]) -> StatusReceived:
    """The event of one status."""
    (event,) = events_of(webhook_body(webhook_value(statuses=[status])))
    assert isinstance(event, StatusReceived)
    return event


def genesys_target(
    genesys_ids: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    *,
    customer_key: str | None = None,
) -> GenesysTarget:
    """A target whose tracking knows exactly ``genesys_ids`` and ``texts`` (by wamid), and
    whose identity store gives the customer ``customer_key``."""
    ids, known_texts = dict(genesys_ids or {}), dict(texts or {})
    return GenesysTarget(
        integration_id=INTEGRATION,
        media_url=lambda media_id: f"{MEDIA_BASE}/{media_id}",
        genesys_message_id=ids.get,
        quoted_text=known_texts.get,
        customer_key=customer_key,
    )


def meta_target(last_inbound: Mapping[str, str] | None = None) -> MetaTarget:
    """A target whose tracking knows the latest inbound wamid of ``last_inbound``'s customers."""
    return MetaTarget(
        phone_number_id=PHONE_NUMBER_ID, last_inbound_wamid=dict(last_inbound or {}).get
    )


def wire(call: GenesysCall | MetaCall) -> dict[str, Any]:
    """The body of a call as it goes on the wire."""
    body: dict[str, Any] = call.as_json()["body"]
    return body


def assert_genesys_valid(call: GenesysCall) -> None:
    """The body passes wagen's contract for its endpoint: the strict JSON Schema plus the
    overlay fields wagen sends on purpose, and the strict schema once those are removed."""
    kind, body = SCHEMA_KINDS[call.endpoint], wire(call)
    assert wagen_schema_errors(kind, body) == []
    assert schema_errors(kind, without_wagen_overlays(body)) == []


def validate_send(bodies: Iterable[Mapping[str, Any]], folder: Path) -> dict[str, Any]:
    """Run ``reference/meta/validate_send.py`` over ``bodies``; its JSON report.

    The check is Meta's own OpenAPI spec with the reference's named errata; the venv's
    python has its dependencies (pyyaml, jsonschema, referencing).
    """
    files = []
    for number, body in enumerate(bodies):
        path = folder / f"body-{number:03d}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        files.append(str(path))
    assert files, "nothing to validate"
    script = REFERENCE / "meta" / "validate_send.py"
    result = subprocess.run(
        [sys.executable, str(script), "--kind", "send", "--json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["total"] == len(files)
    return report


def send_failures(report: Mapping[str, Any]) -> dict[str, Any]:
    """``{file: errors}`` of every body ``validate_send.py`` rejected."""
    return {r["file"]: r["errors"] for r in report["results"] if not r["ok"]}
