"""Shared plumbing: the transport's lifespan, the retry schedule, regions, settings."""

from __future__ import annotations

import gc

import pytest
from pydantic import ValidationError

from connectors.errors import ConnectorError, ConnectorTransportError
from connectors.genesys.errors import (
    GenesysCredentialsError,
    GenesysPermanentError,
    GenesysRateLimitedError,
    GenesysRetryableError,
    GenesysTokenExpiredError,
)
from connectors.genesys.regions import (
    GENESYS_REGIONS,
    GenesysEndpoints,
    UnknownRegionError,
    resolve_endpoints,
)
from connectors.genesys.token import GenesysTenant
from connectors.http import HttpTransport, TransportNotStartedError
from connectors.meta.client import MetaClient
from connectors.meta.graph import MetaAuth
from connectors.retry import RetryPolicy
from connectors.settings import GenesysClientSettings, MetaClientSettings
from tests.conftest import free_port

POLICY = RetryPolicy(attempts=3, base_delay_s=1.0, max_delay_s=4.0, max_retry_after_s=30)


def _transport_error(*, maybe_sent: bool) -> ConnectorTransportError:
    return ConnectorTransportError(
        "x",
        vendor="meta",
        operation="send",
        timed_out=maybe_sent,
        maybe_sent=maybe_sent,
        request_id="r",
    )


async def test_a_client_used_before_start_says_so() -> None:
    client = MetaClient(HttpTransport(), MetaClientSettings())
    with pytest.raises(TransportNotStartedError, match=r"await transport.start\(\)"):
        await client.mark_read(MetaAuth(access_token="t", phone_number_id="1"), "wamid.A")


async def test_a_stopped_transport_refuses_requests() -> None:
    transport = HttpTransport()
    await transport.start()
    await transport.stop()
    await transport.stop()  # idempotent
    with pytest.raises(TransportNotStartedError):
        await transport.request(
            "GET", "http://127.0.0.1:1/", vendor="meta", operation="probe", timeout_s=1
        )


async def test_forgetting_to_stop_warns() -> None:
    transport = HttpTransport()
    await transport.start()
    session = transport._session  # the test closes it itself after the warning
    with pytest.warns(ResourceWarning, match="never stopped"):
        transport.__del__()
    assert session is not None
    await session.close()
    del transport
    gc.collect()


async def test_an_unreachable_host_is_a_transport_error_safe_to_retry() -> None:
    async with HttpTransport() as transport:
        with pytest.raises(ConnectorTransportError) as caught:
            await transport.request(
                "GET",
                f"http://127.0.0.1:{free_port()}/",
                vendor="genesys",
                operation="probe",
                timeout_s=2,
            )
    assert not caught.value.maybe_sent
    assert not caught.value.timed_out
    assert caught.value.request_id
    assert len(caught.value.request_id) == 32


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    error = GenesysRateLimitedError("x", http_status=429, retry_after=7)
    assert POLICY.wait_before_retry(error, 1, idempotent=False) == 7
    late = GenesysRateLimitedError("x", http_status=429, retry_after=31)
    assert POLICY.wait_before_retry(late, 1, idempotent=False) is None


def test_backoff_doubles_with_jitter_and_stops_after_the_attempts() -> None:
    error = GenesysRetryableError("x", http_status=503)
    first = POLICY.wait_before_retry(error, 1, idempotent=True)
    second = POLICY.wait_before_retry(error, 2, idempotent=True)
    assert first is not None
    assert 0.5 <= first <= 1.0
    assert second is not None
    assert 1.0 <= second <= 2.0
    assert POLICY.wait_before_retry(error, 3, idempotent=True) is None


@pytest.mark.parametrize(
    "error",
    [
        GenesysPermanentError("x", http_status=400),
        GenesysTokenExpiredError("x", http_status=401),
        GenesysCredentialsError("x", http_status=401),
    ],
)
def test_permanent_and_token_errors_are_not_retried_by_the_schedule(
    error: ConnectorError,
) -> None:
    assert POLICY.wait_before_retry(error, 1, idempotent=True) is None


def test_a_maybe_sent_failure_is_retried_only_when_idempotent() -> None:
    ambiguous = _transport_error(maybe_sent=True)
    assert POLICY.wait_before_retry(ambiguous, 1, idempotent=False) is None
    assert POLICY.wait_before_retry(ambiguous, 1, idempotent=True) is not None
    refused = _transport_error(maybe_sent=False)
    assert POLICY.wait_before_retry(refused, 1, idempotent=False) is not None


def test_regions_map_to_login_and_api_hosts() -> None:
    assert len(GENESYS_REGIONS) == 18
    assert resolve_endpoints("eu-west-1") == GenesysEndpoints(
        login_url="https://login.mypurecloud.ie", api_url="https://api.mypurecloud.ie"
    )
    assert resolve_endpoints("mypurecloud.com.au").api_url == "https://api.mypurecloud.com.au"
    with pytest.raises(UnknownRegionError):
        resolve_endpoints("evil.example.com")


def test_settings_override_every_tenants_hosts() -> None:
    settings = GenesysClientSettings(
        login_url="http://127.0.0.1:8091/", api_url="http://127.0.0.1:8091"
    )
    assert resolve_endpoints("eu-west-1", settings) == GenesysEndpoints(
        login_url="http://127.0.0.1:8091", api_url="http://127.0.0.1:8091"
    )
    with pytest.raises(ValidationError):
        GenesysClientSettings(login_url="http://127.0.0.1:8091")
    with pytest.raises(ValidationError):
        MetaClientSettings(graph_url="ftp://graph")


def test_secrets_stay_out_of_reprs() -> None:
    tenant = GenesysTenant(
        client_id="c",
        client_secret="s3cr3t-value",
        integration_id="i",
        endpoints=resolve_endpoints("us-east-1"),
    )
    assert "s3cr3t-value" not in repr(tenant)
