"""Forms: the posted fields into the same pydantic models the API takes, with messages a
person can act on.

The API's models decide what is valid (one rule for both doors); this module only turns
their refusals into sentences naming the field, and refuses what PostgreSQL could not store
(a NUL character) before any service sees it. Values are never echoed into a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from pipeline.console.errors import FormError

M = TypeVar("M", bound=BaseModel)

MAX_FIELD = 8192

_PATTERN_HINTS: dict[str, str] = {
    "tenantId": "use 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter or "
    "digit",
    "subdomain": "use lowercase letters, digits and '-', not at either end",
    "phoneNumberId": "use the digits of the phone number id Meta shows (not the phone number)",
    "wabaId": "use the digits of the WhatsApp Business Account id",
    "region": "use a Genesys Cloud region domain such as mypurecloud.com or mypurecloud.ie",
}


async def read_form(request: web.Request) -> dict[str, str]:
    """The posted text fields (files ignored), refused whole when one cannot be stored."""
    posted = await request.post()
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for name, value in posted.items():
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            problems[name] = "contains a NUL character, which cannot be stored"
        elif len(value) > MAX_FIELD:
            problems[name] = f"is longer than {MAX_FIELD} characters"
        values[name] = value
    if problems:
        raise FormError(problems)
    return values


def field_message(alias: str, error: Mapping[str, object]) -> str:
    """What is wrong with field ``alias``, from one pydantic error, in words."""
    kind = str(error.get("type", ""))
    if kind == "missing":
        return "is required"
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(alias, "has characters that are not allowed here")
    if kind == "string_too_short":
        return "is required" if error.get("ctx") == {"min_length": 1} else "is too short"
    if kind == "extra_forbidden":
        return "is not a field of this form"
    return str(error.get("msg", "is not valid"))


def parse(model: type[M], data: Mapping[str, object]) -> M:
    """``data`` validated by ``model`` (camelCase field names, as the API takes them).

    Raises:
        FormError: one message per field that failed.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors(include_input=False, include_url=False):
            loc = [str(part) for part in error["loc"]]
            alias = loc[-1] if loc else "form"
            problems.setdefault(alias, field_message(alias, dict(error)))
        raise FormError(problems) from None


def blank_to_none(data: Mapping[str, str], *names: str) -> dict[str, object]:
    """``data`` with the optional fields ``names`` left out when empty (an empty input is
    "not given", not an empty value)."""
    return {k: v for k, v in data.items() if not (k in names and not v.strip())}
