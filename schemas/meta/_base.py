"""Base classes and field types shared by the Meta models.

Two bases, because the two directions need opposite strictness:

* :class:`WebhookModel` -- bodies Meta sends us. Unknown fields are kept (``extra="allow"``):
  Meta adds fields without notice, and a replay must not lose what the original carried.
* :class:`SendModel` -- bodies we send to Meta. Unknown fields are refused
  (``extra="forbid"``): a typo would otherwise reach Meta and come back as error 100.

Field names are Meta's exactly (``phone_number_id``, ``wa_id``); the one exception is
``from``, a Python keyword, spelled ``from_`` with the alias ``from`` (dumps always use it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

_DIGITS: Final = re.compile(r"[0-9]+")
_LAST_UNIX_SECOND: Final = 253_402_300_799  # 9999-12-31T23:59:59Z, the end of datetime


class WebhookModel(BaseModel):
    """Base of every model of a body Meta sends: frozen, unknown fields kept."""

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class SendModel(BaseModel):
    """Base of every model of a body we send to Meta: frozen, unknown fields refused."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


def _int_to_str(value: Any) -> Any:
    # Meta sends Unix seconds as a string in messages and statuses, but as a number in
    # some newer fields (user_preferences); accept both, store Meta's usual string form.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _check_unix_seconds(value: str) -> str:
    if not _DIGITS.fullmatch(value):
        raise ValueError("expected Unix seconds (digits only)")
    # Length first: int() of thousands of digits is slow, and refused beyond 4300.
    if len(value) > len(str(_LAST_UNIX_SECOND)) or int(value) > _LAST_UNIX_SECOND:
        raise ValueError(
            f"out of range: {value[:20]}{'…' if len(value) > 20 else ''} is after "
            "9999-12-31T23:59:59Z in Unix seconds"
        )
    return value


MetaTimestamp = Annotated[str, BeforeValidator(_int_to_str), AfterValidator(_check_unix_seconds)]
"""Unix seconds as Meta writes them (``"1760000000"``); checked to be a valid instant."""


def unix_to_datetime(timestamp: str) -> datetime:
    """The aware UTC datetime of a :data:`MetaTimestamp`."""
    return datetime.fromtimestamp(int(timestamp), tz=UTC)
