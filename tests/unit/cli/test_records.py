"""Decoding and showing records: tenant, value formats, cuts, the JSON line."""

from __future__ import annotations

import base64

from pipeline.kafka.read import KafkaRecord, tenant_of
from pipeline.ops.redrive import is_copy, redrive_headers
from pipeline.ops.tail import cut, decode_value, header_text, headline, record_json, value_text


def _record(
    value: bytes | None,
    *,
    key: bytes | None = b"t1:155",
    headers: tuple[tuple[str, bytes], ...] = (),
) -> KafkaRecord:
    return KafkaRecord("wa.events", 2, 41, 1_700_000_000_123, key, value, headers)


def test_tenant_comes_from_the_header_then_the_key() -> None:
    assert tenant_of(b"other:155", {"tenant_id": b"t1"}) == "t1"
    assert tenant_of(b"t2:15551234567", {}) == "t2"
    assert tenant_of(b"t3", {}) == "t3"
    assert tenant_of(None, {}) == ""
    # A quarantined record names no tenant in its header: the key is a phone number id.
    assert tenant_of(b"1122334455", {"tenant_id": b""}) == ""


def test_values_decode_as_json_text_binary_or_nothing() -> None:
    assert decode_value(b'{"a": [1, 2]}') == ("json", {"a": [1, 2]})
    assert decode_value(b"not json") == ("text", "not json")
    assert decode_value(b"\xff\x00") == ("base64", base64.b64encode(b"\xff\x00").decode())
    assert decode_value(None) == ("null", None)


def test_the_json_line_has_everything_decoded() -> None:
    record = _record(b'{"x": 1}', headers=(("tenant_id", b"t1"), ("attempt", b"2")))
    assert record_json(record) == {
        "ref": "wa.events:2:41",
        "topic": "wa.events",
        "partition": 2,
        "offset": 41,
        "timestamp_ms": 1_700_000_000_123,
        "timestamp": "2023-11-14T22:13:20.123Z",
        "key": "t1:155",
        "tenant_id": "t1",
        "headers": {"tenant_id": "t1", "attempt": "2"},
        "value_format": "json",
        "value": {"x": 1},
    }


def test_long_values_and_headers_are_cut_saying_how_much() -> None:
    assert cut("abcdef", 4) == "abcd… (2 more characters)"
    assert cut("abcdef", 0) == "abcdef"
    assert cut("abc", 3) == "abc"
    row = record_json(_record(b'"' + b"x" * 300 + b'"', headers=(("h", b"y" * 250),)))
    assert value_text(row, 10) == '"xxxxxxxxx… (292 more characters)'
    assert header_text(row) == f"h={'y' * 200}… (50 more characters)"
    assert headline(row) == "wa.events:2:41  2023-11-14T22:13:20.123Z  key=t1:155"
    assert value_text(record_json(_record(None)), 10) == "(no value)"
    assert value_text(record_json(_record(b"plain")), 100) == "(text) plain"


def test_a_redriven_copy_names_its_original_and_is_recognised() -> None:
    original = KafkaRecord(
        "wa.webhooks", 1, 7, 0, b"t1", b"{}", (("tenant_id", b"t1"), ("request_id", b"r"))
    )
    headers = redrive_headers(original)
    assert headers == [
        ("tenant_id", b"t1"),
        ("request_id", b"r"),
        ("replayed_from", b"wa.webhooks:1:7"),
    ]
    copy = KafkaRecord("wa.webhooks", 1, 9, 0, b"t1", b"{}", tuple(headers))
    assert is_copy(copy)
    assert not is_copy(original)
    # A DLQ replay also says replayed_from, but from another topic: that one is new traffic.
    from_dlq = KafkaRecord(
        "wa.webhooks", 1, 10, 0, b"t1", b"{}", (("replayed_from", b"wa.webhooks.dlq:0:3"),)
    )
    assert not is_copy(from_dlq)
    # Re-driving a copy keeps one replayed_from, naming the record it was read from.
    assert redrive_headers(copy)[-1] == ("replayed_from", b"wa.webhooks:1:9")
    assert [k for k, _ in redrive_headers(copy)].count("replayed_from") == 1
