"""Meta's GET subscription handshake: echo the challenge, or refuse with the reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.errors import ConnectorError
from connectors.meta.errors import HandshakeRejection, MetaHandshakeError
from connectors.meta.handshake import (
    CHALLENGE_PARAM,
    MODE_PARAM,
    TOKEN_PARAM,
    verify_handshake,
)

TOKEN = "verify-me-0123"
OLD_TOKEN = "verify-me-previous"
# Meta's sample challenge is numeric (reference §1.1); it is echoed as text, unchanged.
CHALLENGE = "1158201444"


def query(
    mode: str | None = "subscribe", token: str | None = TOKEN, challenge: str | None = CHALLENGE
) -> dict[str, str]:
    params = {MODE_PARAM: mode, TOKEN_PARAM: token, CHALLENGE_PARAM: challenge}
    return {key: value for key, value in params.items() if value is not None}


def rejection_of(params: dict[str, str], tokens: str | list[str] = TOKEN) -> HandshakeRejection:
    with pytest.raises(MetaHandshakeError) as caught:
        verify_handshake(params, tokens, tenant_id="acme")
    assert caught.value.tenant_id == "acme"
    return caught.value.rejection


def test_parameter_names_are_metas() -> None:
    assert (MODE_PARAM, TOKEN_PARAM, CHALLENGE_PARAM) == (
        "hub.mode",
        "hub.verify_token",
        "hub.challenge",
    )


def test_valid_handshake_returns_the_challenge_exactly() -> None:
    assert verify_handshake(query(), TOKEN) == CHALLENGE


def test_challenge_is_echoed_verbatim_even_when_not_numeric() -> None:
    assert verify_handshake(query(challenge="abc-DEF_123 "), [TOKEN]) == "abc-DEF_123 "


@pytest.mark.parametrize("mode", [None, "", "unsubscribe", "Subscribe", "subscribe "])
def test_mode_other_than_subscribe_is_refused(mode: str | None) -> None:
    assert rejection_of(query(mode=mode)) is HandshakeRejection.MODE


@pytest.mark.parametrize(
    "token", [None, "", "wrong", TOKEN.upper(), TOKEN + " ", TOKEN[:-1], "vérify"]
)
def test_token_mismatch_or_missing_is_refused(token: str | None) -> None:
    assert rejection_of(query(token=token)) is HandshakeRejection.TOKEN


@pytest.mark.parametrize("challenge", [None, ""])
def test_missing_challenge_is_refused(challenge: str | None) -> None:
    assert rejection_of(query(challenge=challenge)) is HandshakeRejection.CHALLENGE


def test_mode_is_checked_before_the_token() -> None:
    assert rejection_of(query(mode="unsubscribe", token="wrong")) is HandshakeRejection.MODE


def test_token_is_checked_before_the_challenge() -> None:
    assert rejection_of(query(token="wrong", challenge=None)) is HandshakeRejection.TOKEN


def test_rotation_accepts_old_and_new_token_but_not_a_third() -> None:
    tokens = [OLD_TOKEN, TOKEN]
    assert verify_handshake(query(token=OLD_TOKEN), tokens) == CHALLENGE
    assert verify_handshake(query(token=TOKEN), tokens) == CHALLENGE
    assert rejection_of(query(token="third-token-0123"), tokens) is HandshakeRejection.TOKEN


def test_a_single_str_token_is_not_split_into_characters() -> None:
    assert rejection_of(query(token="v"), "verify") is HandshakeRejection.TOKEN


def test_non_ascii_tokens_compare_without_error() -> None:
    assert verify_handshake(query(token="jeton-vérifié"), "jeton-vérifié") == CHALLENGE


@pytest.mark.parametrize("tokens", [[], "", [TOKEN, ""]], ids=["none", "empty", "one-empty"])
def test_no_usable_verify_token_is_a_configuration_error(tokens: str | list[str]) -> None:
    with pytest.raises(ValueError, match="non-empty verify token"):
        verify_handshake(query(token=""), tokens)


def test_rejection_is_a_non_retriable_connector_error_without_the_token() -> None:
    with pytest.raises(MetaHandshakeError) as caught:
        verify_handshake(query(token="guess-0123"), TOKEN)
    error = caught.value
    assert isinstance(error, ConnectorError)
    assert not error.retriable
    assert error.code == "meta_handshake_rejected"
    assert TOKEN not in str(error)
    assert "guess-0123" not in str(error)


@settings(database=None, max_examples=300)
@given(
    params=st.dictionaries(
        st.sampled_from([MODE_PARAM, TOKEN_PARAM, CHALLENGE_PARAM, "other"]),
        st.one_of(st.text(max_size=20), st.sampled_from(["subscribe", TOKEN, ""])),
    )
)
def test_any_query_is_answered_exactly_when_all_three_checks_pass(params: dict[str, str]) -> None:
    valid = (
        params.get(MODE_PARAM) == "subscribe"
        and params.get(TOKEN_PARAM) == TOKEN
        and bool(params.get(CHALLENGE_PARAM))
    )
    if valid:
        assert verify_handshake(params, TOKEN) == params[CHALLENGE_PARAM]
    else:
        with pytest.raises(MetaHandshakeError):
            verify_handshake(params, TOKEN)
