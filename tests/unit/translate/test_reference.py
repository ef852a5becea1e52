"""Acceptance over the shared reference, through the dry-run CLI (the pipeline's code paths):

* every recorded Meta webhook body goes through ``wagen parse meta`` and ``wagen translate
  meta-to-genesys``: one event per message, status and error; one Genesys call per message
  and per delivered/failed status; every Genesys body passes the strict JSON Schemas;
* every Genesys ``outbound_*`` example goes through ``wagen translate genesys-to-meta`` and
  every send body passes ``reference/meta/validate_send.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pipeline.cli.dryrun import parse, translate
from tests.unit.schemas.reference import (
    GENESYS_EXAMPLES,
    META_SAMPLES,
    load_json,
    meta_sample_names,
    schema_errors,
    wagen_schema_errors,
    without_wagen_overlays,
)
from tests.unit.translate.support import send_failures, validate_send

SAMPLES = meta_sample_names()
OUTBOUND_EXAMPLES = sorted(path.name for path in GENESYS_EXAMPLES.glob("outbound_*.json"))
RECEIVED = "2026-01-02T03:04:05+00:00"
SCHEMA_OF_PATH = {
    "/inbound/open/message": "inbound-message",
    "/inbound/open/receipt": "inbound-receipt",
    "/inbound/open/event": "inbound-event",
    "/inbound/open/structured/response": "inbound-structured-response",
}


def run(group: Any, *args: str) -> Result:
    """Invoke a dry-run command the way ``wagen`` does, stdout and stderr apart."""
    return CliRunner().invoke(group, [*args, "--received-at", RECEIVED], catch_exceptions=False)


def lines(result: Result) -> list[dict[str, Any]]:
    """The JSON lines a command printed (it must have succeeded)."""
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def counted(body: dict[str, Any]) -> dict[str, int]:
    """Messages, statuses (all, and those Genesys has a receipt for) and errors, from raw JSON."""
    counts = {"message": 0, "status": 0, "receipt": 0, "error": 0}
    for entry in body["entry"]:
        for change in entry["changes"]:
            if change["field"] != "messages":
                continue
            value = change["value"]
            counts["message"] += len(value.get("messages", []))
            counts["status"] += len(value.get("statuses", []))
            counts["receipt"] += sum(
                s["status"] in {"delivered", "failed"} for s in value.get("statuses", [])
            )
            counts["error"] += len(value.get("errors", []))
    return counts


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_parses_into_one_event_per_item(name: str) -> None:
    path = META_SAMPLES / name
    events = lines(run(parse, "meta", str(path)))
    counts = counted(load_json(path))
    kinds = [event["kind"] for event in events]
    assert {kind: kinds.count(kind) for kind in ("message", "status", "error")} == {
        kind: counts[kind] for kind in ("message", "status", "error")
    }
    for event in events:
        assert {"kind", "message_id", "customer", "type", "phone_number_id", "timestamp"} <= set(
            event
        )
        assert event["tenant_id"] == "dry-run"


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_translates_into_schema_valid_genesys_calls(name: str) -> None:
    path = META_SAMPLES / name
    calls = lines(run(translate, "meta-to-genesys", str(path)))
    counts = counted(load_json(path))
    assert len(calls) == counts["message"] + counts["receipt"]
    for call in calls:
        assert call["method"] == "POST"
        prefix = "/api/v2/conversations/messages/{integrationId}"
        assert call["path"].startswith(prefix)
        kind = SCHEMA_OF_PATH[call["path"].removeprefix(prefix)]
        assert wagen_schema_errors(kind, call["body"]) == [], call["body"]
        assert schema_errors(kind, without_wagen_overlays(call["body"])) == [], call["body"]


def test_the_samples_reach_every_genesys_endpoint_but_events() -> None:
    paths = set()
    for name in SAMPLES:
        for call in lines(run(translate, "meta-to-genesys", str(META_SAMPLES / name))):
            paths.add(call["path"].rsplit("/open/", 1)[1])
    # Meta delivers no customer typing, so nothing becomes an inbound event.
    assert paths == {"message", "receipt", "structured/response"}


EXPECTED_SHAPES = {
    "outbound_webhook_image_ok.json": ["/media", "/messages:image"],
    "outbound_webhook_text_ok.json": ["/messages:text"],
    "outbound_webhook_typing_ok.json": ["/messages:read"],
}


def test_every_outbound_example_yields_send_bodies_metas_spec_accepts(tmp_path: Path) -> None:
    assert sorted(EXPECTED_SHAPES) == OUTBOUND_EXAMPLES
    sends = []
    for name in OUTBOUND_EXAMPLES:
        calls = lines(run(translate, "genesys-to-meta", str(GENESYS_EXAMPLES / name)))
        shapes = []
        for call in calls:
            edge = call["path"].removeprefix("/{phone-number-id}")
            if edge == "/messages":
                body = call["body"]
                shapes.append(f"{edge}:{body.get('type') or body['status']}")
                sends.append(body)
            else:
                shapes.append(edge)
        assert shapes == EXPECTED_SHAPES[name]
    report = validate_send(sends, tmp_path)
    assert send_failures(report) == {}
