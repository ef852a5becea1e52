"""Host resolution, the error middleware's mapping, the OpenAPI document, tenancy settings."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from pipeline.gateway.app import create_app
from pipeline.gateway.errors import error_middleware, status_of
from pipeline.settings import WagenSettings
from tenancy.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    QuotaExceededError,
    RateLimitedError,
    TenantNotFoundError,
    TenantSuspendedError,
)
from tenancy.http.access import host_subdomain
from tenancy.http.openapi import build_openapi
from tenancy.http.routes import ROUTES


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("acme.wagen.test", "acme"),
        ("ACME.wagen.test:8080", "acme"),
        ("acme.wagen.test.", "acme"),
        ("wagen.test", None),
        ("a.b.wagen.test", None),
        ("acme.wagen.test.evil.com", None),
        ("acmewagen.test", None),
        ("-x.wagen.test", None),
        ("[::1]:8080", None),
    ],
)
def test_host_subdomain(host: str, expected: str | None) -> None:
    assert host_subdomain(host, "wagen.test") == expected
    assert host_subdomain(host, None) is None


def test_statuses_follow_the_class_tree() -> None:
    assert status_of(TenantNotFoundError("x")) == 404
    assert status_of(NotFoundError("x")) == 404
    assert status_of(TenantSuspendedError("x")) == 403
    assert status_of(AuthenticationError("x")) == 401
    assert status_of(InvalidRequestError("x")) == 400
    assert status_of(ValueError("x")) == 500


async def test_error_middleware_bodies_and_headers() -> None:
    errors: dict[str, Exception] = {
        "/rate": RateLimitedError(tenant_id="t", limit=5, retry_after_s=1),
        "/quota": QuotaExceededError(tenant_id="t", plan="tiny", limit=3, retry_after_s=99),
        "/boom": RuntimeError("secret detail"),
    }

    async def handler(request: web.Request) -> web.Response:
        raise errors[request.path]

    app = web.Application(middlewares=[error_middleware])
    for path in errors:
        app.router.add_get(path, handler)
    async with TestClient(TestServer(app)) as client:
        rate = await client.get("/rate")
        assert rate.status == 429
        assert (rate.headers["Retry-After"], rate.headers["X-RateLimit-Limit"]) == ("1", "5")
        assert (await rate.json())["error"]["limit"] == 5
        quota = await client.get("/quota")
        body = (await quota.json())["error"]
        assert (quota.status, body["code"], body["plan"], body["limit"]) == (
            429,
            "monthly_quota_exceeded",
            "tiny",
            3,
        )
        boom = await client.get("/boom", headers={"X-Request-Id": "r-1"})
        assert boom.status == 500
        assert await boom.json() == {
            "error": {"code": "internal_error", "message": "internal error"}
        }
        assert boom.headers["X-Request-Id"] == "r-1"
        missing = await client.get("/nowhere")
        assert missing.status == 404
        assert (await missing.json())["error"]["code"] == "not_found"


def test_openapi_matches_the_registered_routes(settings: WagenSettings) -> None:
    app = create_app(settings)
    registered = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and (route.resource.name or "").partition(".")[0] in {"admin", "tenant", "owner"}
    }
    document = build_openapi()
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert registered == documented
    assert len(documented) == len(ROUTES)
    assert document["openapi"].startswith("3.1")
    for ops in document["paths"].values():
        for op in ops.values():
            for response in op["responses"].values():
                ref = (
                    response.get("$ref")
                    or response["content"]["application/json"]["schema"]["$ref"]
                )
                section, name = ref.split("/")[-2:]
                assert name in document["components"][section]


def test_tenancy_env_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAGEN_ADMIN_TOKEN", "s3cr3t-admin-token")
    monkeypatch.setenv("WAGEN_TENANCY_PLANS", '{"tiny": {"monthly_messages": 3}}')
    monkeypatch.setenv("WAGEN_TENANCY_DEFAULT_PLAN", "tiny")
    monkeypatch.setenv("WAGEN_JWT_ALGORITHM", "RS256")
    monkeypatch.setenv("WAGEN_TENANCY_BASE_DOMAIN", "Wagen.Example.")
    s = WagenSettings()
    assert s.admin.token is not None
    assert s.admin.token.get_secret_value() == "s3cr3t-admin-token"
    assert s.tenancy.plans["tiny"].monthly_messages == 3
    assert s.jwt.algorithm == "RS256"
    assert s.tenancy.base_domain == "wagen.example"
    assert "s3cr3t-admin-token" not in repr(s)


@pytest.mark.parametrize(
    ("name", "value"),
    [("WAGEN_TENANCY_DEFAULT_PLAN", "gold"), ("WAGEN_JWT_ALGORITHM", "none")],
)
def test_bad_tenancy_settings(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        WagenSettings()
