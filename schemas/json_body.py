"""Decoding a vendor body: JSON to a value that every later step can encode and store.

JSON lets a string hold a lone UTF-16 surrogate (``"\\ud800"``: half of an emoji, cut by a
client that counted UTF-16 units); Python's decoder keeps it, and then nothing downstream
can encode it: not pydantic's JSON dump of the event, not Kafka headers, not PostgreSQL
(UTF-8 ``text`` refuses it), not Genesys or Meta. It is not a character, so it cannot be
shown either. JSON also allows NUL (``"\\u0000"``), which no one types and PostgreSQL's
``text`` cannot hold (a customer's name is stored). :func:`decode_body` replaces each of
them with U+FFFD (the Unicode replacement character, what any UTF-8 decoder shows for a
broken sequence) and reports where, so the rest of the message still reaches the person it
was written for. The raw body, as received, stays on the webhook topic.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

REPLACEMENT: Final = "\ufffd"
"""What a lone surrogate becomes."""

_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
# Only an escape \uD800-\uDFFF or \u0000, or raw bytes ED A0-BF (json.loads decodes bytes
# with "surrogatepass"), can put one in a decoded body (JSON forbids a raw NUL in strings);
# most bodies have none, and skip the walk.
_MAYBE_IN_BYTES: Final = re.compile(rb"\\u([dD][89a-fA-F]|0000)|\xed[\xa0-\xbf]")
_MAYBE_IN_TEXT: Final = re.compile("\\\\u([dD][89a-fA-F]|0000)|[\x00\ud800-\udfff]")


class BodyDecodeError(ValueError):
    """The body is not JSON (or is nested too deeply to decode); ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DecodedBody:
    """A decoded body and the JSON paths where lone surrogates or NULs were replaced."""

    value: Any
    repaired: tuple[str, ...] = ()


def decode_body(raw: bytes | bytearray | str | Mapping[str, Any] | Any) -> DecodedBody:
    """The JSON value of ``raw``, lone surrogates and NULs replaced (see the module docstring).

    Anything but bytes or text is taken as already decoded; it is copied before any
    repair, never changed.

    Raises:
        BodyDecodeError: not JSON (not UTF-8, truncated...), or nested too deeply.
    """
    if not isinstance(raw, bytes | bytearray | str):
        try:
            value = copy.deepcopy(dict(raw) if isinstance(raw, Mapping) else raw)
        except RecursionError as exc:
            raise BodyDecodeError("nested too deeply") from exc
        return _repaired(value)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise BodyDecodeError(f"not valid JSON ({type(exc).__name__})") from exc
    maybe = (
        _MAYBE_IN_TEXT.search(raw) if isinstance(raw, str) else _MAYBE_IN_BYTES.search(bytes(raw))
    )
    return _repaired(value) if maybe else DecodedBody(value)


MAX_DEPTH: Final = 64
"""Deepest nesting wagen carries in one message. Meta's and Genesys's deepest items are
about 6 levels deep; pydantic cannot serialize beyond about 250 (and Python's decoder
stops near 1000), so a deeper item is refused where it is, not failed later."""


def nested_deeper_than(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` levels (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def has_unstorable(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (decoded JSON pairs the valid ones) or NUL."""
    return _UNSTORABLE.search(text) is not None


def without_unstorable(text: str) -> str:
    """``text`` with every lone surrogate and NUL replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _repaired(value: Any) -> DecodedBody:
    """Replace them in every string and key, in place (iterative: no depth limit)."""
    holder: list[Any] = [value]
    repaired: list[str] = []
    stack: list[tuple[list[Any] | dict[str, Any], Any, str]] = [(holder, 0, "")]
    while stack:
        container, key, path = stack.pop()
        item = container[key]
        if isinstance(item, str):
            if has_unstorable(item):
                container[key] = without_unstorable(item)
                repaired.append(path or "body")
        elif isinstance(item, list):
            stack.extend((item, i, _child(path, i)) for i in reversed(range(len(item))))
        elif isinstance(item, dict):
            if any(has_unstorable(name) for name in item):
                fixed = {without_unstorable(name): inner for name, inner in item.items()}
                repaired.extend(
                    _child(path, without_unstorable(name)) for name in item if has_unstorable(name)
                )
                item.clear()
                item.update(fixed)
            stack.extend((item, name, _child(path, name)) for name in reversed(list(item)))
    return DecodedBody(holder[0], tuple(repaired))
