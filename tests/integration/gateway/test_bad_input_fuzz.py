"""Generated bad webhooks against a live ``wagen gateway``: random bytes, random JSON,
well-formed Meta envelopes for numbers the tenant does not own, missing, wrong and garbled
signatures, huge header values, unknown tenants.

Each answer is the 4xx its case calls for (never a 5xx), the process never dies, and
Kafka holds exactly what was acknowledged: a record on ``wa.webhooks`` per 200, one on the
quarantine topic per 403 (a foreign number), nothing for any other refusal.
"""

from __future__ import annotations

import http.client
import json
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.signatures import SIGNATURE_HEADER, sign_meta
from pipeline.kafka.topics import WA_WEBHOOKS, WA_WEBHOOKS_QUARANTINE
from pipeline.settings import WagenSettings
from tenancy.services import Tenancy
from tests.integration.faults.live_gateway import (  # noqa: F401  (fixture, registered by import)
    GatewayTenant,
    LiveGateway,
    create_gateway_tenant,
    live_gateway_fixture,
)
from tests.integration.kafka_tail import TopicTail

pytestmark = pytest.mark.faults


@dataclass(frozen=True)
class Case:
    """One request and the status it must get."""

    kind: str
    path: str
    body: bytes
    headers: dict[str, str]
    expected: int


def _envelope(number: str) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": number},
        "messages": [],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_garbled = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"sha256={h}"),
    st.just("sha256="),
    st.just("sha1=deadbeef"),
)


def cases(tenant: GatewayTenant) -> st.SearchStrategy[Case]:
    """Every kind of bad (and, as a control, good) webhook of ``tenant``."""
    path = f"/webhooks/meta/{tenant.tenant_id}"
    raw = st.binary(max_size=2000)
    random_json = _json.map(lambda v: json.dumps(v).encode())

    def signed(body: bytes) -> dict[str, str]:
        return {SIGNATURE_HEADER: sign_meta(body, tenant.app_secret)}

    return st.one_of(
        st.builds(lambda b: Case("no_signature", path, b, {}, 401), raw | random_json),
        st.builds(
            lambda b, s: Case("garbled_signature", path, b, {SIGNATURE_HEADER: s}, 401),
            raw | random_json,
            _garbled,
        ),
        st.builds(
            lambda b: Case(
                "other_secret", path, b, {SIGNATURE_HEADER: sign_meta(b, "not-the-secret")}, 401
            ),
            raw | random_json,
        ),
        st.builds(
            lambda n: Case("foreign_number", path, _envelope(n), signed(_envelope(n)), 403),
            st.from_regex(r"\A9[0-9]{14}\Z"),
        ),
        st.builds(
            lambda b: Case("unknown_tenant", "/webhooks/meta/no-such-tenant-x", b, signed(b), 401),
            raw,
        ),
        st.builds(
            lambda size: Case(
                "huge_header", path, b"{}", {SIGNATURE_HEADER: "sha256=" + "a" * size}, 400
            ),
            st.integers(min_value=9_000, max_value=60_000),
        ),
        st.builds(lambda b: Case("signed_json", path, b, signed(b), 200), random_json),
        st.just(
            Case(
                "own_number", path, _envelope(tenant.number), signed(_envelope(tenant.number)), 200
            )
        ),
    )


def _send(gateway: LiveGateway, case: Case) -> int:
    conn = http.client.HTTPConnection(gateway.host, gateway.port, timeout=30)
    try:
        conn.request("POST", case.path, body=case.body, headers=case.headers)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.timeout(180)
async def test_generated_bad_webhooks_get_their_4xx_and_store_nothing(
    live_gateway: LiveGateway,
    tenancy: Tenancy,
    tenancy_settings: WagenSettings,
    unique_name: str,
) -> None:
    tenant = await create_gateway_tenant(tenancy, unique_name.replace("test-", "f"), "enterprise")
    answered: Counter[tuple[str, int]] = Counter()

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(cases(tenant))
    def run(case: Case) -> None:
        status = _send(live_gateway, case)
        answered[(case.kind, status)] += 1
        assert status == case.expected, (case.kind, status)
        assert live_gateway.alive()

    async with (
        TopicTail(tenancy_settings, WA_WEBHOOKS) as stored,
        TopicTail(tenancy_settings, WA_WEBHOOKS_QUARANTINE) as quarantined,
    ):
        # On this thread, blocking the loop on purpose: the gateway is another process, and
        # the tails' background fetches (which use ``random``) must not run while Hypothesis
        # generates (it refuses a strategy run that touches the global random state).
        run()
        accepted = sum(n for (_, status), n in answered.items() if status == 200)
        foreign = sum(n for (_, status), n in answered.items() if status == 403)
        key = tenant.tenant_id.encode()
        in_topic = await stored.records_for(key, accepted + 1, rounds=12)
        in_quarantine = await quarantined.records_for(b"9", foreign + 1, prefix=True, rounds=4)
    assert len(in_topic) == accepted
    mine = [h for _, h in in_quarantine if h.get("tenant_id") == key]
    assert len(mine) == foreign
    assert not any(status >= 500 for _, status in answered)
    assert live_gateway.alive()
