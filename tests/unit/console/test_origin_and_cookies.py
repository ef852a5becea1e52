"""Which requests count as this console's own, and when the session cookie is Secure."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from pipeline.console.middleware import same_origin
from pipeline.console.views.auth import cookie_secure


@pytest.mark.parametrize(
    ("headers", "ok"),
    [
        ({}, True),
        ({"Origin": "http://console.example:8080"}, True),
        ({"Origin": "https://evil.example"}, False),
        ({"Sec-Fetch-Site": "cross-site"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, True),
        ({"Origin": "null"}, False),
    ],
)
def test_same_origin(headers: dict[str, str], ok: bool) -> None:
    request = make_mocked_request(
        "POST", "/console/tenants", headers={"Host": "console.example:8080", **headers}
    )
    assert same_origin(request) is ok


@pytest.mark.parametrize(
    ("host", "secure"),
    [
        ("127.0.0.1:8080", False),
        ("localhost:8080", False),
        ("[::1]:8080", False),
        ("console.example.com", True),
        ("10.0.0.5:8080", True),
    ],
)
def test_cookies_are_secure_except_on_plain_http_loopback(host: str, secure: bool) -> None:
    assert cookie_secure(make_mocked_request("GET", "/console/", headers={"Host": host})) is secure
