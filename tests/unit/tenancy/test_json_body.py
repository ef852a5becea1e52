"""Request bodies: bounded nesting, no NUL or lone surrogate anywhere, field named, value not."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenancy.errors import InvalidRequestError
from tenancy.http.json_body import MAX_DEPTH, parse_body, problems_in, unstorable_reason


def _errors(raw: bytes) -> list[dict[str, object]]:
    with pytest.raises(InvalidRequestError) as caught:
        parse_body(raw)
    errors: list[dict[str, object]] = caught.value.public_details().get("errors", [])
    return errors


def test_ten_thousand_levels_are_a_400_not_a_recursion_error() -> None:
    [error] = _errors(b"[" * 10_000 + b"]" * 10_000)
    assert error["type"] == "too_deep"


def test_nesting_up_to_the_limit_passes_and_one_more_is_refused() -> None:
    def nested(levels: int) -> bytes:
        return b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)

    assert parse_body(nested(MAX_DEPTH)) is not None
    [error] = _errors(nested(MAX_DEPTH + 1))
    assert error == {
        "type": "too_deep",
        "loc": ["a"] * MAX_DEPTH,
        "msg": f"nested deeper than {MAX_DEPTH} levels",
    }


@pytest.mark.parametrize(
    ("body", "loc", "reason"),
    [
        ({"contactName": "Ann\x00"}, ["contactName"], "NUL character"),
        ({"name": "x\ud800y"}, ["name"], "lone UTF-16 surrogate"),
        ({"credentials": {"appSecret": "\udfff"}}, ["credentials", "appSecret"], "surrogate"),
        ({"list": ["ok", "bad\x00"]}, ["list", 1], "NUL"),
    ],
)
def test_unstorable_text_names_the_field_never_the_value(
    body: object, loc: list[object], reason: str
) -> None:
    [error] = _errors(json.dumps(body).encode())
    assert error["loc"] == loc
    assert error["type"] == "unstorable_text"
    assert reason in str(error["msg"])
    assert "Ann" not in json.dumps(error)


def test_a_bad_field_name_is_named_with_the_bad_characters_replaced() -> None:
    [error] = _errors(b'{"na\\u0000me": "x"}')
    assert error["loc"] == ["na\ufffdme"]


def test_not_json_and_not_utf8_are_400() -> None:
    for raw in (b"{", b"\xff\xfe\x00", b"nan-ish", b""):
        with pytest.raises(InvalidRequestError):
            parse_body(raw)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=20,
    )
)
def test_whatever_passes_can_be_encoded_as_utf8_without_nul(value: object) -> None:
    if list(problems_in(value)):
        return

    def strings(item: object) -> list[str]:
        if isinstance(item, str):
            return [item]
        if isinstance(item, list):
            return [s for child in item for s in strings(child)]
        if isinstance(item, dict):
            return [s for k, v in item.items() for s in [k, *strings(v)]]
        return []

    for text in strings(value):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogate: this would raise
        assert unstorable_reason(text) is None
