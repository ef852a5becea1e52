"""The redaction filter: no secret reaches a log line, in fields, text, arguments or traces."""

from __future__ import annotations

import base64

import jwt
import pytest

from pipeline.telemetry.redaction import REDACTED, scrub
from tests.unit.logging.conftest import Captured

SECRET = "s3cr3t-Value-9f8e7d6c5b4a"


@pytest.mark.parametrize(
    "key",
    [
        "token",
        "secret",
        "password",
        "authorization",
        "app_secret",
        "access_token",
        "client_secret",
        "verify_token",
        "api_key",
        "apikey",
        "x-api-key",
        "outbound_webhook_secret",
        "refresh_token",
        "Authorization",
        "dsn",
    ],
)
def test_a_secret_ish_extra_field_is_redacted(captured: Captured, key: str) -> None:
    captured.log.info("call made", extra={key: SECRET, "tenant_id": "acme"})
    [line] = captured.lines()
    assert line[key] == REDACTED
    assert line["tenant_id"] == "acme"
    assert SECRET not in captured.text


def test_secret_keys_inside_a_nested_field_are_redacted(captured: Captured) -> None:
    extra = {"request": {"headers": {"Authorization": SECRET, "Accept": "json"}, "n": [1]}}
    captured.log.info("call made", extra=extra)
    [line] = captured.lines()
    assert line["request"] == {"headers": {"Authorization": REDACTED, "Accept": "json"}, "n": [1]}


def test_ordinary_fields_are_kept(captured: Captured) -> None:
    extra = {"tenant_id": "acme", "attempt": 2, "tokens_left": 5, "request_id": "r-1"}
    captured.log.info("ok", extra=extra)
    [line] = captured.lines()
    assert {k: line[k] for k in extra} == extra


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"Authorization: Bearer {SECRET}", "Authorization: Bearer "),
        (f"header bearer {SECRET} sent", "header bearer "),
        ("Basic " + base64.b64encode(f"client:{SECRET}".encode()).decode(), "Basic "),
        (f"GET /webhooks/meta/acme?hub.mode=subscribe&hub.verify_token={SECRET}", "hub.mode="),
        (f"token={SECRET} attempt=2", " attempt=2"),
        (f"client_secret={SECRET}&grant_type=client_credentials", "&grant_type="),
        (f'{{"access_token": "{SECRET}", "expires_in": 86400}}', '"expires_in": 86400'),
        (f"{{'app_secret': '{SECRET}', 'tenant': 'acme'}}", "'tenant': 'acme'"),
        (f"redis://:{SECRET}@127.0.0.1:6379/0", "@127.0.0.1:6379/0"),
        (f"postgresql://wagen:{SECRET}@db/wagen", "postgresql://wagen:"),
    ],
)
def test_secrets_in_message_text_are_redacted(captured: Captured, text: str, kept: str) -> None:
    captured.log.warning(text)
    [line] = captured.lines()
    assert SECRET not in line["msg"]
    assert base64.b64encode(f"client:{SECRET}".encode()).decode() not in line["msg"]
    assert REDACTED in line["msg"]
    assert kept in line["msg"]


def test_a_jwt_is_redacted() -> None:
    token = jwt.encode({"sub": "admin", "role": "wagen-admin"}, SECRET * 2, algorithm="HS256")
    assert scrub(f"refused token {token} (expired)") == f"refused token {REDACTED} (expired)"


def test_a_wagen_api_key_keeps_its_prefix_only() -> None:
    key = "wk_0123456789ab_" + "A" * 20 + "b-c_d" + "9" * 18
    assert scrub(f"key {key} used") == f"key wk_0123456789ab_{REDACTED} used"


def test_a_meta_access_token_is_redacted() -> None:
    token = "EAAG" + "Zx9" * 30
    assert scrub(f"sending with {token}") == f"sending with {REDACTED}"


@pytest.mark.parametrize(
    "prose",
    [
        "Basic authentication is not supported",
        "the bearer of bad news",
        "tenant acme has 5 tokens_left=5",
        "GET /webhooks/meta/acme -> 200",
        "event split kind=message",
    ],
)
def test_ordinary_text_is_left_alone(prose: str) -> None:
    assert scrub(prose) == prose


def test_secrets_in_the_arguments_are_redacted(captured: Captured) -> None:
    url = f"https://graph.example/v21.0/oauth?access_token={SECRET}"
    captured.log.info("GET %s -> %d", url, 200)
    [line] = captured.lines()
    assert line["msg"] == f"GET https://graph.example/v21.0/oauth?access_token={REDACTED} -> 200"


def test_secrets_in_an_exception_and_its_trace_are_redacted(captured: Captured) -> None:
    def call() -> None:
        raise RuntimeError(f"401 for Authorization: Bearer {SECRET}")

    try:
        call()
    except RuntimeError:
        captured.log.exception("call failed")
    [line] = captured.lines()
    assert "RuntimeError: 401 for Authorization: Bearer " in line["exc"]
    assert SECRET not in captured.text


def test_secrets_in_stack_info_are_redacted(captured: Captured) -> None:
    def leaky(client_secret: str) -> None:
        captured.log.info("here", stack_info=True)

    leaky(SECRET)
    [line] = captured.lines()
    assert "leaky" in line["stack"]  # the stack is there; the argument value never was
    assert SECRET not in captured.text


def test_the_text_format_is_redacted_too(captured_text: Captured) -> None:
    captured_text.log.info(
        "token refreshed: Bearer %s", SECRET, extra={"client_secret": SECRET, "tenant_id": "a"}
    )
    assert SECRET not in captured_text.text
    assert f"client_secret={REDACTED}" in captured_text.text
    assert "tenant_id=a" in captured_text.text
