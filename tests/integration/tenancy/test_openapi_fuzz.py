"""Property test against ``/openapi.json``: no generated request gets a 5xx.

Hypothesis draws, for every documented operation, path parameters (valid, unknown and
hostile strings), query values and bodies (schema-shaped and arbitrary JSON), sent with
valid admin or tenant credentials so the handlers themselves are exercised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.tenancy.conftest import ADMIN, Client, create_tenant

_text = st.text(max_size=40)
_json: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_known = ["alpha", "bravo", "15550001", "00000000-0000-0000-0000-000000000000"]
_path_value = st.sampled_from(_known) | _text.filter(bool)
_query_value = _text | st.integers().map(str) | st.dates().map(str)


def _bodies(schema_name: str | None, schemas: dict[str, Any]) -> st.SearchStrategy[Any]:
    if schema_name is None:
        return st.none()
    props = schemas[schema_name].get("properties", {})
    shaped = st.fixed_dictionaries({}, optional={name: _json for name in props})
    return shaped | _json


@dataclass(frozen=True)
class Target:
    """The app under test, its document, and credentials for each scope."""

    client: Client
    document: dict[str, Any]
    headers: dict[str, dict[str, str]]


@pytest.fixture
async def target(client: Client) -> Target:
    key = await create_tenant(client, "alpha", subdomain="alpha")
    await create_tenant(client, "bravo")
    await client.patch("/tenants/alpha", json={"rateLimit": 10_000}, headers=ADMIN)
    document = await (await client.get("/openapi.json")).json()
    headers = {"admin": ADMIN, "tenant": {"X-API-Key": key}, "owner": ADMIN}
    return Target(client, document, headers)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_5xx_for_any_documented_operation(target: Target, data: st.DataObject) -> None:
    paths = target.document["paths"]
    operations = [(m, p) for p, ops in paths.items() for m in ops]
    method, template = data.draw(st.sampled_from(operations))
    operation = paths[template][method]
    path = re.sub(r"{\w+}", lambda _: quote(data.draw(_path_value), safe=""), template)
    query = {
        p["name"]: data.draw(_query_value)
        for p in operation["parameters"]
        if p["in"] == "query" and data.draw(st.booleans())
    }
    body_ref = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema_name = body_ref.get("schema", {}).get("$ref", "").rpartition("/")[2] or None
    body = data.draw(_bodies(schema_name, target.document["components"]["schemas"]))
    raw = data.draw(st.none() | st.binary(max_size=64)) if schema_name else None
    scope = operation["tags"][0]
    response = await target.client.request(
        method.upper(),
        path,
        params=query,
        headers=target.headers[scope],
        **({"data": raw} if raw is not None else {"json": body}),
    )
    text = await response.text()
    assert response.status < 500, (method, path, query, body, response.status, text)
    assert text.startswith("{"), text
