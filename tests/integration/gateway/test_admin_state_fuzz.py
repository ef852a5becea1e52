"""Generated requests to every admin and state route of a live ``wagen gateway``: hostile path
parameters, query values and bodies — NUL characters, lone surrogates, deep nesting, wrong
types, bytes that are not UTF-8 — and hostile credential headers.

Every answer is below 500 (the probe got 500s with tracebacks for a NUL and for deep
nesting), an answer of ours is a JSON object, the process never dies, and its log never
shows an unhandled error (the fixture checks that when the gateway stops).
"""

from __future__ import annotations

import http.client
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.settings import WagenSettings
from tenancy.http.routes import ROUTES, RouteSpec
from tenancy.models import TenantCreate, TenantPatch
from tenancy.services import Tenancy
from tests.integration.faults.live_gateway import ACTOR, LiveGateway, running_gateway
from tests.integration.tenancy.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.faults

_surrogate = st.integers(min_value=0xD800, max_value=0xDFFF).map(chr)
_fragment = st.one_of(
    st.text(max_size=6),
    st.just("\x00"),
    _surrogate,
    st.sampled_from(["alpha", "15550001", "'; DROP TABLE tenants; --", "%00", "../", "\u202e"]),
)
hostile_text = st.lists(_fragment, max_size=4).map("".join)
"""Text with NUL characters, lone surrogates and the odd injection attempt mixed in."""

_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
any_json: st.SearchStrategy[Any] = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=10,
)
"""Any JSON value, of any type where a field expects another."""


def _deep(levels: int, kind: str) -> bytes:
    opening, closing = ("[", "]") if kind == "list" else ('{"a":', "}")
    return (opening * levels + "1" + closing * levels).encode()


deep_bodies = st.builds(
    _deep, st.integers(min_value=20, max_value=5_000), st.sampled_from(["list", "dict"])
)


def _encode(value: Any) -> bytes:
    # ensure_ascii: a lone surrogate goes out as the escape \udxxx, as an attacker would send.
    return json.dumps(value, ensure_ascii=True).encode()


def bodies(spec: RouteSpec) -> st.SearchStrategy[bytes]:
    """Bodies for ``spec``: shaped like its model with hostile values, or anything at all."""
    fields = list(spec.body.model_json_schema(by_alias=True)["properties"]) if spec.body else []
    shaped = st.fixed_dictionaries({}, optional={name: any_json for name in fields})
    return st.one_of(
        shaped.map(_encode),
        any_json.map(_encode),
        deep_bodies,
        st.binary(max_size=64),  # not JSON, not even UTF-8
    )


def _quote(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


_known = ["bravo", "15550001", "00000000-0000-0000-0000-000000000000", "nobody"]
path_values = st.sampled_from(_known) | hostile_text.filter(bool)


@dataclass(frozen=True)
class Request:
    """One generated request."""

    method: str
    target: str
    scope: str
    body: bytes


@st.composite
def requests(draw: st.DrawFn) -> Request:
    spec = draw(st.sampled_from(ROUTES))
    path = spec.path
    for name in ("tenantId", "keyId", "waId"):
        if f"{{{name}}}" in path:
            path = path.replace(f"{{{name}}}", _quote(draw(path_values)))
    query = ""
    if spec.query is not None:
        names = list(spec.query.model_json_schema(by_alias=True)["properties"])
        pairs = draw(st.dictionaries(st.sampled_from(names), hostile_text, max_size=len(names)))
        query = "?" + "&".join(f"{k}={_quote(v)}" for k, v in pairs.items()) if pairs else ""
    body = draw(bodies(spec)) if spec.body is not None else b""
    return Request(spec.method, path + query, spec.scope, body)


@dataclass(frozen=True)
class Target:
    """The gateway and a tenant key."""

    gateway: LiveGateway
    key: str


@pytest.fixture
async def target(tenancy: Tenancy, tenancy_settings: WagenSettings) -> AsyncIterator[Target]:
    created = await tenancy.tenants.create(TenantCreate(tenant_id="alpha", name="Alpha"), ACTOR)
    await tenancy.tenants.update("alpha", TenantPatch(rate_limit=100_000), ACTOR)
    await tenancy.tenants.create(TenantCreate(tenant_id="bravo", name="Bravo"), ACTOR)
    async with running_gateway(tenancy_settings) as gateway:
        yield Target(gateway, created.api_key.key)


def _send(target: Target, request: Request) -> tuple[int, bytes]:
    credentials = (
        {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        if request.scope == "admin"
        else {"X-API-Key": target.key}
    )
    conn = http.client.HTTPConnection(target.gateway.host, target.gateway.port, timeout=30)
    try:
        conn.request(
            request.method,
            request.target,
            body=request.body or None,
            headers={**credentials, "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


_FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.timeout(300)
async def test_no_generated_request_to_an_admin_or_state_route_gets_a_5xx(target: Target) -> None:
    answered: Counter[tuple[str, int]] = Counter()

    @_FUZZ
    @given(requests())
    def run(request: Request) -> None:
        status, body = _send(target, request)
        answered[(request.method, status)] += 1
        assert status < 500, (request, status, body[:500])
        assert body.startswith(b"{"), (request, status, body[:200])
        assert target.gateway.alive()

    run()  # on this thread: the gateway is another process
    # The generated requests reached the handlers, not only the front door.
    statuses = {status for _, status in answered}
    assert {200, 400} <= statuses or {201, 400} <= statuses, answered
    assert target.gateway.alive()


_header_bytes = st.binary(min_size=1, max_size=80).filter(
    lambda b: b"\r" not in b and b"\n" not in b
)


@pytest.mark.timeout(300)
async def test_hostile_credential_headers_get_a_4xx(target: Target) -> None:
    @_FUZZ
    @given(
        st.sampled_from([b"X-API-Key", b"Authorization", b"Host", b"X-Forwarded-For"]),
        _header_bytes,
        st.sampled_from([b"/state/stats", b"/tenants"]),
    )
    def run(name: bytes, value: bytes, path: bytes) -> None:
        request = b"GET " + path + b" HTTP/1.1\r\n" + name + b": " + value + b"\r\n"
        if name != b"Host":
            request += b"Host: gw\r\n"
        request += b"Connection: close\r\n\r\n"
        gateway = target.gateway
        with socket.create_connection((gateway.host, gateway.port), timeout=30) as sock:
            sock.sendall(request)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        parts = answer.split(b" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        assert 400 <= status < 500, (name, value, answer[:300])
        assert gateway.alive()

    run()
