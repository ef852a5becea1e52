"""Request parsing and response writing shared by the tenancy handlers.

Bodies and queries are validated by pydantic models here, at the edge; a failure becomes
``InvalidRequestError`` listing fields and problems, never echoing the values sent (a
credential body may carry secrets).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenancy.errors import InvalidRequestError, NotFoundError, TenantNotFoundError
from tenancy.http.json_body import parse_body, refuse_unstorable
from tenancy.models import TENANT_ID_PATTERN, WA_ID_PATTERN, ApiModel

M = TypeVar("M", bound=BaseModel)

_TENANT_ID = re.compile(TENANT_ID_PATTERN)
_WA_ID = re.compile(WA_ID_PATTERN)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class PageQuery(BaseModel):
    """``?limit&cursor`` of every listing."""

    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, min_length=1, max_length=200)


class UsageQuery(BaseModel):
    """``?from&to`` of the usage report (ISO dates, inclusive)."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, hide_input_in_errors=True
    )

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class DisconnectQuery(BaseModel):
    """``?disconnect=true|false`` of a removal: undo wagen's vendor side too (default: the
    ``WAGEN_ONBOARDING_DISCONNECT_ON_DELETE`` setting)."""

    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    disconnect: bool | None = None


def _invalid(what: str, exc: ValidationError) -> InvalidRequestError:
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    return InvalidRequestError(f"invalid {what}", errors=list(errors))


async def read_body(request: web.Request, model: type[M]) -> M:
    """The JSON body validated as ``model``, strictly: ``true`` is not 1, ``"5"`` is not 5."""
    data = parse_body(await request.read())
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise _invalid("body", exc) from None


def read_query(request: web.Request, model: type[M]) -> M:
    """The query string validated as ``model`` (the last value of a repeated key wins)."""
    query = dict(request.query)
    refuse_unstorable(query, "query")
    try:
        return model.model_validate(query)
    except ValidationError as exc:
        raise _invalid("query", exc) from None


def tenant_id_param(request: web.Request) -> str:
    """``{tenantId}``; a malformed one cannot exist, so it is a 404 like any unknown id."""
    value = request.match_info["tenantId"]
    if not _TENANT_ID.match(value):
        raise TenantNotFoundError(f"no tenant {value[:64]!r}")
    return value


def wa_id_param(request: web.Request) -> str:
    """``{waId}``: digits only, else 404."""
    value = request.match_info["waId"]
    if not _WA_ID.match(value):
        raise NotFoundError("no such mapping")
    return value


def credential_type_param(request: web.Request) -> Literal["meta", "genesys"]:
    """``{kind}``: ``meta`` or ``genesys``, else 404."""
    value = request.match_info["kind"]
    if value == "meta":
        return "meta"
    if value == "genesys":
        return "genesys"
    raise NotFoundError("no such credential type (meta or genesys)")


def key_id_param(request: web.Request) -> str:
    """``{keyId}``: a UUID, else 404."""
    value = request.match_info["keyId"].lower()
    if not _UUID.match(value):
        raise NotFoundError("no such API key")
    return value


def reply(model: ApiModel, status: int = 200) -> web.Response:
    """A JSON response in wire form (camelCase)."""
    return web.json_response(model.as_json(), status=status)
