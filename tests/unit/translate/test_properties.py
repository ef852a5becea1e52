"""Property tests: whatever parses also translates.

A Meta body the splitter accepts must translate without an exception into bodies Genesys's
strict schemas accept (odd content becomes text, never an error); a Genesys body, however
malformed, translates or raises the one :class:`GenesysPayloadError` naming a field.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from connectors.meta.payload import MetaPayloadError
from connectors.translate import (
    GenesysPayloadError,
    GenesysTarget,
    MetaCall,
    MetaEndpoint,
    event_to_genesys,
    outbound_to_meta,
    parse_outbound,
)
from schemas.meta import SEND_BODY
from tests.unit.connectors.test_meta_webhook import json_values, mutated_samples
from tests.unit.schemas.reference import GENESYS_EXAMPLES, load_json, wagen_validator
from tests.unit.translate.support import (
    INTEGRATION,
    SCHEMA_KINDS,
    events_of,
    genesys_target,
    meta_target,
    wire,
)


@cache
def validator(kind: str) -> Draft202012Validator:
    """wagen's contract for ``kind`` (strict + the overlays wagen sends), loaded once."""
    return wagen_validator(kind)


@settings(
    database=None, deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated_samples())
def test_whatever_the_splitter_accepts_translates_into_valid_genesys_bodies(body: Any) -> None:
    try:
        events = events_of(body)
    except MetaPayloadError:
        return  # rejected with a named field: the splitter's own tests cover that
    # Tracking that knows every wamid exercises structured responses, receipts and quotes.
    unknowing = genesys_target()
    knowing = GenesysTarget(
        integration_id=INTEGRATION,
        media_url=unknowing.media_url,
        genesys_message_id=lambda wamid: f"g-{wamid}",
        quoted_text=lambda wamid: f"text of {wamid}",
    )
    for event in events:
        for lookups in (unknowing, knowing):
            for call in event_to_genesys(event, lookups):
                errors = list(validator(SCHEMA_KINDS[call.endpoint]).iter_errors(wire(call)))
                assert errors == [], wire(call)


OUTBOUND_BODIES = [
    load_json(path) for path in sorted(GENESYS_EXAMPLES.glob("outbound_webhook_*_ok.json"))
]
STRUCTURED = {
    **OUTBOUND_BODIES[1],
    "type": "Structured",
    "content": [
        {"contentType": "QuickReply", "quickReply": {"text": "Yes", "payload": "Y"}},
        {"contentType": "QuickReply", "quickReply": {"text": "No", "payload": "N"}},
    ],
}


@st.composite
def mutated_outbound(draw: st.DrawFn) -> Any:
    """An outbound example with one node replaced, retyped or deleted along a random path."""
    body = copy.deepcopy(draw(st.sampled_from([*OUTBOUND_BODIES, STRUCTURED])))
    node: Any = body
    while True:
        keys: list[Any] = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return body
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        action = draw(st.sampled_from(["delete", "replace", "retype"]))
        if action == "delete" and isinstance(node, dict):
            del node[key]
        elif action == "retype":
            node[key] = draw(
                st.sampled_from([None, 0, "", "x", [], {}, True, "1" * 30, "x" * 5000])
            )
        else:
            node[key] = draw(json_values)
        return body


def translate_or_reject(body: Any) -> list[MetaCall] | GenesysPayloadError:
    """What the pipeline does: calls, or the one clear error (anything else fails the test)."""
    try:
        return outbound_to_meta(parse_outbound(body), meta_target({"x": "w"}))
    except GenesysPayloadError as exc:
        return exc


@settings(
    database=None, deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated_outbound())
def test_any_genesys_body_translates_or_names_the_field(body: Any) -> None:
    outcome = translate_or_reject(body)
    if isinstance(outcome, GenesysPayloadError):
        assert outcome.field
        assert outcome.field in str(outcome)
        return
    for call in outcome:
        if call.endpoint is MetaEndpoint.MESSAGES:
            assert SEND_BODY.validate_python(wire(call)) == call.body
