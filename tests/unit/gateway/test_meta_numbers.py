"""Reading business numbers out of a webhook and splitting a shared-app body by owner."""

from __future__ import annotations

import json
from typing import Any

from pipeline.gateway.meta_numbers import business_numbers, decode, split_by_owner
from tests.unit.schemas.reference import META_SAMPLES


def _change(number: str | None, marker: str) -> dict[str, Any]:
    metadata = {"display_phone_number": "1555", **({"phone_number_id": number} if number else {})}
    return {"field": "messages", "value": {"metadata": metadata, "marker": marker}}


def _body(*entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": f"waba{i}", "changes": changes} for i, changes in enumerate(entries)],
    }


def test_numbers_of_a_recorded_sample() -> None:
    body = decode((META_SAMPLES / "pywa__message__text.json").read_bytes())
    numbers = business_numbers(body)
    assert len(numbers) == 1
    assert all(n.isdigit() for n in numbers)


def test_garbage_names_no_number() -> None:
    assert decode(b"{nope") is None
    assert business_numbers(None) == set()
    assert business_numbers({"entry": "x"}) == set()
    assert business_numbers({"entry": [{"changes": [{"value": {"metadata": 5}}]}]}) == set()


def test_split_keeps_each_tenants_changes_and_nothing_else() -> None:
    body = _body(
        [_change("111", "a1"), _change("222", "b1")],
        [_change("111", "a2"), _change("999", "x1"), _change(None, "x2")],
    )
    parts = {p.tenant_id: p for p in split_by_owner(body, {"111": "acme", "222": "beta"})}
    assert set(parts) == {"acme", "beta", None}

    def markers(raw: bytes) -> list[str]:
        sub = json.loads(raw)
        return [c["value"]["marker"] for e in sub["entry"] for c in e["changes"]]

    assert markers(parts["acme"].body) == ["a1", "a2"]
    assert markers(parts["beta"].body) == ["b1"]
    assert markers(parts[None].body) == ["x1", "x2"]
    assert parts["acme"].numbers == {"111"}
    assert parts[None].numbers == {"999"}
    # Entry ids (the WABA) travel with their changes.
    assert [e["id"] for e in json.loads(parts["acme"].body)["entry"]] == ["waba0", "waba1"]


def test_a_fully_owned_body_is_one_part() -> None:
    body = _body([_change("111", "a1")])
    [part] = split_by_owner(body, {"111": "acme"})
    assert part.tenant_id == "acme"
    assert json.loads(part.body) == body
