"""The shapes tenancy exchanges with callers: request bodies in, resources out.

JSON uses camelCase (the seed's API did); Python uses snake_case. Inputs refuse unknown
fields, so a typo is a 400 rather than a silently ignored setting.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

TENANT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
SUBDOMAIN_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
WA_ID_PATTERN = r"^[0-9]{5,20}$"
TenantStatus = Literal["active", "suspended", "deleted"]


class ApiModel(BaseModel):
    """Base of every API shape: camelCase on the wire, immutable once built."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
    )

    def as_json(self) -> dict[str, Any]:
        """The wire form: camelCase keys, JSON-safe values."""
        return self.model_dump(mode="json", by_alias=True)


class TenantCreate(ApiModel):
    """``POST /tenants``."""

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    subdomain: str | None = Field(default=None, pattern=SUBDOMAIN_PATTERN)
    plan: str | None = Field(default=None, min_length=1, max_length=50)


GENESYS_ID_PATTERN = r"^[A-Za-z0-9-]{1,128}$"
"""A Genesys entity id (queues are UUIDs); no spaces, slashes or quotes."""


class TenantPatch(ApiModel):
    """``PATCH /tenants/{id}``: only the fields present change; ``rateLimit: null`` clears.

    ``callbackQueueId``: the Genesys queue that gets a callback when one of the tenant's
    customers tries to call on WhatsApp; ``null`` turns callbacks off.
    """

    name: str | None = Field(default=None, min_length=1, max_length=200)
    plan: str | None = Field(default=None, min_length=1, max_length=50)
    status: Literal["active", "suspended"] | None = None
    rate_limit: int | None = Field(default=None, gt=0, le=100_000)
    callback_queue_id: str | None = Field(default=None, pattern=GENESYS_ID_PATTERN)


class Tenant(ApiModel):
    """A tenant as the admin API shows it."""

    tenant_id: str
    name: str
    subdomain: str | None
    status: TenantStatus
    plan: str
    rate_limit: int | None
    callback_queue_id: str | None = None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class UsageSummary(ApiModel):
    """This calendar month's usage, shown in tenant listings."""

    month: str
    messages: int
    monthly_limit: int | None


class TenantListItem(Tenant):
    """A tenant row of ``GET /tenants``."""

    usage: UsageSummary


class TenantPage(ApiModel):
    """One page of tenants; pass ``nextCursor`` as ``cursor`` for the next."""

    items: list[TenantListItem]
    next_cursor: str | None


class ApiKeyCreate(ApiModel):
    """``POST /tenants/{id}/api-keys``."""

    name: str = Field(min_length=1, max_length=200)


class ApiKeyInfo(ApiModel):
    """A key as listings show it: never the secret, never the hash."""

    key_id: str
    prefix: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedApiKey(ApiKeyInfo):
    """A key just created: ``key`` is shown this once and stored only as a keyed hash."""

    key: str


class TenantCreated(ApiModel):
    """What creating a tenant gives the service layer: the tenant and its first key."""

    tenant: Tenant
    api_key: CreatedApiKey

    def reply(self) -> TenantCreatedReply:
        """The admin API's answer, shaped as the integration guide shows it."""
        info = ApiKeyInfo(**self.api_key.model_dump(exclude={"key"}))
        return TenantCreatedReply(tenant=self.tenant, api_key=self.api_key.key, api_key_info=info)


class TenantCreatedReply(ApiModel):
    """``POST /tenants`` answer: ``apiKey`` is the key itself (shown once, stored only as a
    keyed hash), ``apiKeyInfo`` its metadata, as ``GET .../api-keys`` lists it."""

    tenant: Tenant
    api_key: str
    api_key_info: ApiKeyInfo
    message: str = "Tenant created successfully"


class CredentialsWrite(ApiModel):
    """``POST /tenants/{id}/credentials``; ``credentials`` is validated by ``type``."""

    type: Literal["meta", "genesys"]
    credentials: dict[str, Any]


class CredentialMeta(ApiModel):
    """What is known about a stored credential without revealing it."""

    type: Literal["meta", "genesys"]
    version: int
    updated_at: datetime
    fingerprint: str


class CredentialList(ApiModel):
    """``GET /tenants/{id}/credentials``."""

    items: list[CredentialMeta]


class ApiKeyList(ApiModel):
    """``GET /tenants/{id}/api-keys``."""

    items: list[ApiKeyInfo]


class MappingCreate(ApiModel):
    """``POST /state/mapping``."""

    wa_id: str = Field(pattern=WA_ID_PATTERN)
    contact_name: str | None = Field(default=None, max_length=200)


class Mapping(ApiModel):
    """A WhatsApp user's conversation mapping within one tenant."""

    wa_id: str
    contact_name: str | None
    phone_number_id: str | None
    genesys_conversation_id: str | None
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None


class MappingPage(ApiModel):
    """``GET /state/conversations``."""

    items: list[Mapping]
    next_cursor: str | None


class Stats(ApiModel):
    """``GET /state/stats``; ``month_pricing``: this month's :class:`PricingTotal` per category."""

    tenant_id: str
    total_mappings: int
    total_messages: int
    active_conversations: int
    today_messages: int
    month_messages: int
    plan: str
    monthly_limit: int | None
    month_pricing: dict[str, PricingTotal] = Field(default_factory=dict)


class UsageDay(ApiModel):
    """One counter of one day."""

    day: date
    metric: str
    value: int


class PricingTotal(ApiModel):
    """What Meta charged in one pricing category: messages priced, and how many billable."""

    messages: int
    billable: int


class UsageReport(ApiModel):
    """``GET /tenants/{id}/usage``: daily counters and their totals over ``from``..``to``.

    ``pricing``: per Meta pricing category (``marketing``, ``utility``, ``service``...), the
    messages Meta priced and the billable ones, from the ``priced:*`` / ``billable:*``
    counters of ``totals``.
    """

    tenant_id: str
    from_: date = Field(alias="from")
    to: date
    days: list[UsageDay]
    totals: dict[str, int]
    pricing: dict[str, PricingTotal] = Field(default_factory=dict)


class AuditEntry(ApiModel):
    """One line of the audit trail."""

    audit_id: int
    tenant_id: str
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
    request_id: str | None
    created_at: datetime


class AuditPage(ApiModel):
    """``GET /tenants/{id}/audit``, newest first."""

    items: list[AuditEntry]
    next_cursor: str | None
