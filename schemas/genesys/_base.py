"""Base classes and field types shared by the Genesys Open Messaging models.

Naming: Python attributes are snake_case; the wire is Genesys's camelCase, through explicit
aliases (``message_id`` <-> ``messageId``; ``from`` is ``from_``). Models accept either
spelling and always dump the wire one. Class names are those of Genesys's own models
(``OpenInboundNormalizedMessage``...) so they can be looked up in the SDK docs.

Two bases, because the two directions need opposite strictness:

* :class:`GenesysBody` -- bodies we POST. Unknown fields are refused, mirroring the strict
  JSON Schemas in ``shared/reference/genesys/schema/jsonschema/`` (our contract).
* :class:`GenesysWebhookModel` -- the outbound webhook Genesys POSTs to us. Unknown fields
  are kept: Genesys sends fields its typed models lack (``direction``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, PlainSerializer


class GenesysBody(BaseModel):
    """Base of every body we send to Genesys: frozen, unknown fields refused."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class GenesysWebhookModel(BaseModel):
    """Base of every model of a body Genesys sends us: frozen, unknown fields kept."""

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


def canonical_case(*allowed: str) -> Callable[[Any], Any]:
    """A before-validator that rewrites a case variant (``"email"``) to Genesys's spelling.

    Genesys's SDK setters compare enums case-insensitively and its own receipt docs write
    ``"idType": "email"``; we accept that but always send the exact swagger spelling.
    """
    by_fold = {value.casefold(): value for value in allowed}

    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            return by_fold.get(value.casefold(), value)
        return value

    return normalise


def format_genesys_time(value: datetime) -> str:
    """An aware instant as Genesys writes it: ``2025-03-14T09:26:53.000Z`` (UTC, ms)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


GenesysTime = Annotated[
    AwareDatetime, PlainSerializer(format_genesys_time, return_type=str, when_used="json")
]
"""An aware instant, sent as Genesys writes it: ``2025-03-14T09:26:53.000Z`` (UTC, ms)."""

IdType = Annotated[
    Literal["Email", "Phone", "Opaque"], BeforeValidator(canonical_case("Email", "Phone", "Opaque"))
]
"""``idType`` of a sender/recipient: the format of its ``id``."""

MediaType = Annotated[
    Literal["Image", "Video", "Audio", "File", "Link"],
    BeforeValidator(canonical_case("Image", "Video", "Audio", "File", "Link")),
]
"""``mediaType`` of an attachment."""

ReasonCodeValue = Literal[
    "MessageExpired",
    "RateLimited",
    "MessageNotAllowed",
    "GeneralError",
    "UnsupportedMessage",
    "UnknownMessage",
    "InvalidMessageStructure",
    "InvalidDestination",
    "ServerError",
    "MediaTypeNotAllowed",
    "InvalidMediaContentLength",
    "RecipientOptedOut",
    "DataFiltered",
]
"""The 13 ``reasons[].code`` values of a Failed receipt (``ConversationReason``)."""

REASON_CODES: Final[tuple[ReasonCodeValue, ...]] = get_args(ReasonCodeValue)
""":data:`ReasonCodeValue` as a tuple, in Genesys's order."""

ReasonCode = Annotated[ReasonCodeValue, BeforeValidator(canonical_case(*REASON_CODES))]
"""Why a message failed, as Genesys shows it in ``errorInfo`` (case variants accepted)."""
