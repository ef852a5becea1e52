"""Which business numbers a Meta webhook body speaks for, and its split by owning tenant.

The gateway otherwise never parses bodies; it reads just ``entry[].changes[].value.metadata
.phone_number_id`` here, because ownership must be decided before a body is accepted: the
shared-app route has no other way to know the tenant, and a per-tenant route must not take
a number that belongs to someone else. A body that is not the expected JSON shape is left
for the worker to dead-letter (it has no number to judge by).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def _changes(body: Any) -> list[tuple[int, int, str | None]]:
    """(entry index, change index, phone_number_id or None) for every change."""
    found: list[tuple[int, int, str | None]] = []
    entries = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return found
    for i, entry in enumerate(entries):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            continue
        for j, change in enumerate(changes):
            value = change.get("value") if isinstance(change, dict) else None
            metadata = value.get("metadata") if isinstance(value, dict) else None
            number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            found.append((i, j, number if isinstance(number, str) and number else None))
    return found


def decode(raw: bytes) -> Any:
    """The JSON value of a body, or None when it is not JSON at all."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def count_changes(body: Any) -> int:
    """How many changes (``entry[].changes[]``) the body holds, with a number or without."""
    return len(_changes(body))


def business_numbers(body: Any) -> set[str]:
    """Every ``phone_number_id`` the body's changes name."""
    return {number for _, _, number in _changes(body) if number is not None}


@dataclass(frozen=True)
class OwnedPart:
    """The part of a shared-app body that belongs to one tenant (or to nobody)."""

    tenant_id: str | None
    numbers: frozenset[str]
    body: bytes


def split_by_owner(body: Any, owners: Mapping[str, str | None]) -> list[OwnedPart]:
    """One body per owning tenant, with only that tenant's changes; unowned ones together.

    Changes without a number go with the unowned part: they cannot be routed, and guessing
    would deliver one tenant's traffic to another.
    """
    if not isinstance(body, dict):
        return [OwnedPart(None, frozenset(), json.dumps(body).encode())]
    parts: dict[str | None, dict[int, list[Any]]] = {}
    numbers: dict[str | None, set[str]] = {}
    for i, j, number in _changes(body):
        owner = owners.get(number) if number is not None else None
        change = body["entry"][i]["changes"][j]
        parts.setdefault(owner, {}).setdefault(i, []).append(change)
        if number is not None:
            numbers.setdefault(owner, set()).add(number)
    result = []
    for owner, entries in parts.items():
        sub = {
            **body,
            "entry": [{**body["entry"][i], "changes": changes} for i, changes in entries.items()],
        }
        result.append(
            OwnedPart(owner, frozenset(numbers.get(owner, set())), json.dumps(sub).encode())
        )
    return result
