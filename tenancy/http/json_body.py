"""Request bodies as JSON values every layer behind the handler can hold: nesting bounded, and
only text PostgreSQL (and UTF-8) can store.

Three inputs used to reach the stores and fail there with a 500 and a traceback:

* deep nesting: ``json.loads`` recurses per level, so ``[[[[...]]]]`` 10,000 deep raised
  ``RecursionError``; bodies are limited to :data:`MAX_DEPTH` levels (wagen's own bodies
  use three);
* NUL (U+0000): PostgreSQL's ``text`` and ``jsonb`` cannot hold it (asyncpg's
  ``CharacterNotInRepertoireError``);
* lone surrogates (U+D800..U+DFFF, which the JSON escape ``\\ud800`` yields): no UTF-8
  encoding exists, so the driver cannot even send them.

Each is a 400 naming the field (its location, as pydantic names them), never the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from tenancy.errors import InvalidRequestError

MAX_DEPTH: Final = 32
"""Deepest nesting of arrays and objects accepted in a request body."""

_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")

Location = tuple[str | int, ...]


def unstorable_reason(text: str) -> str | None:
    """Why ``text`` cannot be stored (NUL or a lone surrogate), or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "NUL character" if found.group() == "\x00" else "lone UTF-16 surrogate"


def _safe(key: str) -> str:
    """A key fit to appear in an error location: the offending characters replaced."""
    return _UNSTORABLE.sub("\ufffd", key)


def _problem(loc: Location, kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "loc": list(loc), "msg": message}


def problems_in(value: Any, max_depth: int = MAX_DEPTH) -> Iterator[dict[str, Any]]:
    """Every string (key or value) that cannot be stored, and the first place nested too deep.

    Iterative, so the walk itself cannot exhaust the stack whatever the depth.
    """
    pending: list[tuple[Location, Any, int]] = [((), value, 0)]
    too_deep = False
    while pending:
        loc, item, depth = pending.pop()
        if isinstance(item, str):
            reason = unstorable_reason(item)
            if reason is not None:
                yield _problem(loc, "unstorable_text", f"text holds a {reason}")
            continue
        if not isinstance(item, Mapping | list):
            continue
        if depth >= max_depth:
            if not too_deep:
                too_deep = True
                yield _problem(loc, "too_deep", f"nested deeper than {max_depth} levels")
            continue
        if isinstance(item, list):
            pending.extend(((*loc, i), v, depth + 1) for i, v in reversed(list(enumerate(item))))
            continue
        for key, child in reversed(list(item.items())):
            reason = unstorable_reason(key)
            if reason is not None:
                yield _problem(
                    (*loc, _safe(key)), "unstorable_text", f"field name holds a {reason}"
                )
            pending.append(((*loc, _safe(key)), child, depth + 1))


def parse_body(raw: bytes) -> Any:
    """The JSON value of a request body, or ``InvalidRequestError`` saying what is wrong."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise InvalidRequestError(
            "invalid body",
            errors=[_problem((), "too_deep", f"nested deeper than {MAX_DEPTH} levels")],
        ) from None
    except ValueError:  # not JSON, or not UTF-8 (UnicodeDecodeError is a ValueError)
        raise InvalidRequestError("body must be a JSON object") from None
    refuse_unstorable(value, "body")
    return value


def refuse_unstorable(value: Any, what: str) -> None:
    """Raise ``InvalidRequestError`` listing every problem of ``value`` (a body or a query)."""
    found = list(problems_in(value))
    if found:
        raise InvalidRequestError(f"invalid {what}", errors=found[:20])
