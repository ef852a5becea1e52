"""Poison records: what the worker agents' entry points are fuzzed with.

The gateway fuzz's strategies (random bytes, random JSON: ``tests/integration/gateway``),
plus what broke agents before: lone UTF-16 surrogates (escaped, and as raw bytes decoded with
``surrogatepass``), NUL characters, nesting deeper than the decoder's limit, and recorded
bodies with one node deleted, retyped or replaced somewhere along a random path.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
"""Lone halves of a UTF-16 pair: valid JSON escapes, never characters."""

characters = st.one_of(
    st.characters(), st.sampled_from(SURROGATES), st.just("\x00"), st.just("\ufffe")
)
text = st.text(alphabet=characters, max_size=20)
"""Text that may hold lone surrogates and NULs."""

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=16,
)
"""Any JSON value, strings and keys included."""


def encoded(value: Any, *, raw_surrogates: bool = False) -> bytes:
    """``value`` as a body: ASCII with ``\\uXXXX`` escapes (Meta's way), or UTF-8 with the
    surrogates as raw bytes (``surrogatepass``), which Python's decoder also accepts."""
    if raw_surrogates:
        return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


def deep(depth: int, opener: bytes = b"[") -> bytes:
    """JSON nested ``depth`` levels (unclosed beyond the decoder's limit is still poison)."""
    closer = {b"[": b"]", b'{"a":': b"}"}[opener]
    return opener * depth + b"0" + closer * depth


deep_bodies = st.builds(
    deep, st.integers(min_value=500, max_value=50_000), st.sampled_from([b"[", b'{"a":'])
)

_RETYPED: list[object] = [
    None,
    0,
    -1,
    "",
    "x",
    [],
    {},
    True,
    1e308,
    "1" * 40,
    "\ud800",
    "a\x00b",
    10**30,
]


@st.composite
def mutated(draw: st.DrawFn, bodies: Sequence[Any]) -> Any:
    """One of ``bodies`` with one node deleted, retyped or replaced along a random path."""
    body = copy.deepcopy(draw(st.sampled_from(bodies)))
    node: Any = body
    while True:
        keys: list[Any] = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return body
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        action = draw(st.sampled_from(["delete", "replace", "retype"]))
        if action == "delete" and isinstance(node, dict):
            del node[key]
        elif action == "retype":
            node[key] = draw(st.sampled_from(_RETYPED))
        else:
            node[key] = draw(json_values)
        return body


def poison_bodies(bodies: Sequence[Any]) -> st.SearchStrategy[bytes]:
    """Every kind of poison body, around the recorded ``bodies``."""
    return st.one_of(
        st.binary(max_size=300),
        json_values.map(encoded),
        json_values.map(lambda v: encoded(v, raw_surrogates=True)),
        deep_bodies,
        mutated(bodies).map(encoded),
        mutated(bodies).map(lambda v: encoded(v, raw_surrogates=True)),
    )


HEADER_NAMES = [
    "tenant_id", "received_at_ms", "request_id", "source", "attempt", "not_before_ms",
    "retry_history", "park_seq", "dlq_error", "kind", "event_id",
]  # fmt: skip
header_values = st.one_of(
    st.binary(max_size=24),
    st.from_regex(rb"\A[0-9]{1,40}\Z"),
    st.sampled_from([16, 20, 4301, 5000]).map(lambda n: b"9" * n),  # int() refuses > 4300
    st.builds(lambda n: b"[" * n, st.integers(min_value=1, max_value=5000)),
    st.just(b"\xff\xfe"),
)
headers = st.dictionaries(st.sampled_from(HEADER_NAMES), header_values, max_size=6)
"""Record headers as anyone with access to the topic could write them."""
