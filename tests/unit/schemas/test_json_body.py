"""Decoding vendor bodies: lone UTF-16 surrogates become U+FFFD, and their places are named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings

from schemas.json_body import BodyDecodeError, decode_body, has_unstorable, without_unstorable
from tests.unit.poison import encoded, json_values


@pytest.mark.parametrize(
    ("raw", "value", "repaired"),
    [
        (b'{"a": "x\\ud800y"}', {"a": "x\ufffdy"}, ("a",)),
        (b'{"a": ["\\uDFFF", "ok"]}', {"a": ["\ufffd", "ok"]}, ("a[0]",)),
        (b'{"\\ud800": 1}', {"\ufffd": 1}, ("\ufffd",)),
        (b'"\xed\xa0\x80"', "\ufffd", ("body",)),  # raw surrogate bytes (CESU-8)
        (b'{"a": "\\ud83d\\ude00"}', {"a": "\U0001f600"}, ()),  # a valid pair is an emoji
        (b'{"a": "\\\\ud800"}', {"a": "\\ud800"}, ()),  # an escaped backslash: plain text
        ('{"a": "\ud800"}', {"a": "\ufffd"}, ("a",)),  # text holding the surrogate itself
        (b'{"a": "x\\u0000y"}', {"a": "x\ufffdy"}, ("a",)),  # NUL: PostgreSQL refuses it
    ],
    ids=[
        "escape",
        "in-a-list",
        "in-a-key",
        "raw-bytes",
        "valid-pair",
        "escaped-backslash",
        "str",
        "nul",
    ],
)
def test_lone_surrogates_are_replaced_and_named(
    raw: bytes | str, value: Any, repaired: tuple[str, ...]
) -> None:
    decoded = decode_body(raw)
    assert (decoded.value, decoded.repaired) == (value, repaired)
    json.dumps(decoded.value, ensure_ascii=False).encode("utf-8")  # encodable again


def test_a_decoded_mapping_is_repaired_in_a_copy() -> None:
    original = {"entry": [{"text": "\ud800"}]}
    decoded = decode_body(original)
    assert decoded.value == {"entry": [{"text": "\ufffd"}]}
    assert decoded.repaired == ("entry[0].text",)
    assert original == {"entry": [{"text": "\ud800"}]}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "not valid JSON (JSONDecodeError)"),
        (b"\xff\xfe{}", "not valid JSON (JSONDecodeError)"),
        (b"[" * 100_000, "not valid JSON (RecursionError)"),
        (b'{"a": 1', "not valid JSON (JSONDecodeError)"),
    ],
)
def test_what_is_not_json_is_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(BodyDecodeError) as caught:
        decode_body(raw)
    assert caught.value.reason == reason


def test_the_helpers() -> None:
    assert has_unstorable("a\udc00")
    assert not has_unstorable("ação 😀")
    assert has_unstorable("nul\x00")
    assert without_unstorable("a\udc00b\ud800c\x00") == "a\ufffdb\ufffdc\ufffd"


@settings(database=None, deadline=None, max_examples=150)
@given(json_values)
def test_every_decoded_body_encodes_again(value: Any) -> None:
    for raw in (encoded(value), encoded(value, raw_surrogates=True)):
        decoded = decode_body(raw)
        json.dumps(decoded.value, ensure_ascii=False).encode("utf-8")
        assert bool(decoded.repaired) == (json.dumps(value) != json.dumps(decoded.value))
