"""What the webhook routes need to know about a tenant, cached so Vault is not hit per request.

Each webhook needs the tenant's status and the secrets its signature may be made with (Meta
app secret, Genesys outbound webhook secret; the Meta verify token for the handshake). Both
come through ``TtlCache``: one Vault/PostgreSQL round trip per tenant per TTL, shared by
concurrent requests.

Unauthenticated traffic must not turn into store traffic:

* a signature that fails may mean the secret was rotated in Vault, so the secrets are read
  again, but at most once per ``WAGEN_GATEWAY_SECRET_REREAD_INTERVAL_S`` per tenant and kind
  (:class:`OncePerInterval`): a hundred bad webhooks cost one Vault read, not a hundred;
* an unknown tenant is remembered as unknown for the TTL too, in a bounded set.

A tenant's status is dropped from the cache as soon as PostgreSQL announces a change
(:mod:`pipeline.gateway.tenant_changes`), so a suspension stops its webhooks at once on
every gateway instead of after the TTL.

Secrets are returned as a list: every secret a signature may be made with. Today that is
the one stored; a rotation window (accepting the previous secret for a while) adds the
previous one to the list, and the signature checks already take several.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, Literal

from pydantic import ValidationError

from pipeline.runtime.ttl_cache import TtlCache
from tenancy.credentials import CredentialService, GenesysCredentials, MetaCredentials
from tenancy.errors import NotFoundError, TenantNotFoundError
from tenancy.models import TENANT_ID_PATTERN, Tenant
from tenancy.phone_numbers import NumberOwner, PhoneNumberIndex
from tenancy.platform import PlatformSecrets, SharedMetaApp
from tenancy.tenants import TenantService

SecretKind = Literal["meta", "genesys", "shared-meta"]

_TENANT_ID: Final = re.compile(TENANT_ID_PATTERN)

_UNKNOWN_MAX: Final = 10_000
"""Most unknown tenant ids remembered at once (each costs a row lookup when forgotten)."""


class SharedAppMissingError(NotFoundError):
    """The shared-app route was called but the operator configured no shared Meta app."""

    code = "shared_app_not_configured"


class OncePerInterval:
    """Allows one thing (a re-read, a log line) per key per ``interval_s`` (0: always)."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._last: dict[tuple[SecretKind, str], float] = {}

    def allow(self, kind: SecretKind, tenant_id: str) -> bool:
        """Whether it may happen for ``kind`` of ``tenant_id`` now (and if so, it counts)."""
        now = self._clock()
        last = self._last.get((kind, tenant_id))
        if last is not None and now - last < self._interval_s:
            return False
        self._last[(kind, tenant_id)] = now
        return True


class TenantSecrets:
    """Cached tenant status and webhook secrets for the ingress routes."""

    def __init__(
        self,
        tenants: TenantService,
        credentials: CredentialService,
        numbers: PhoneNumberIndex,
        platform: PlatformSecrets,
        ttl_s: float,
        reread_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        # Unknown ids are not cached here (failures never are) but in the bounded set.
        self._tenants: TtlCache[str, Tenant] = TtlCache(tenants.get, ttl_s, clock)
        self._owned: TtlCache[str, set[str]] = TtlCache(numbers.numbers_of, ttl_s, clock)
        self._owner: TtlCache[str, NumberOwner | None] = TtlCache(numbers.owner, ttl_s, clock)
        self._shared_app: TtlCache[str, SharedMetaApp | None] = TtlCache(
            lambda _: platform.shared_meta_app(), ttl_s, clock
        )
        self._meta: TtlCache[str, MetaCredentials | None] = TtlCache(self._load_meta, ttl_s, clock)
        self._genesys: TtlCache[str, GenesysCredentials | None] = TtlCache(
            self._load_genesys, ttl_s, clock
        )
        self._credentials = credentials
        self._rereads = OncePerInterval(reread_interval_s, clock)
        self.refusals_logged = OncePerInterval(60.0, clock)
        """One log line per tenant and kind per minute about refused signatures."""
        self._unknown_ttl_s = ttl_s
        self._clock = clock
        self._unknown: dict[str, float] = {}

    async def _load_meta(self, tenant_id: str) -> MetaCredentials | None:
        try:
            found = await self._credentials.read(tenant_id, "meta")
        except ValidationError:  # stored before today's validation: unusable, so absent
            return None
        return found if isinstance(found, MetaCredentials) else None

    async def _load_genesys(self, tenant_id: str) -> GenesysCredentials | None:
        try:
            found = await self._credentials.read(tenant_id, "genesys")
        except ValidationError:
            return None
        return found if isinstance(found, GenesysCredentials) else None

    def known_here(self, tenant_id: str) -> bool:
        """Whether the tenant's status is cached (answering needs no store at all)."""
        return self._tenants.holds(tenant_id)

    async def tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant unless unknown or deleted (suspended ones included: callers decide)."""
        if not _TENANT_ID.match(tenant_id) or self._unknown.get(tenant_id, 0.0) > self._clock():
            return None  # a malformed id cannot exist: no lookup at all
        try:
            found = await self._tenants.get(tenant_id)
        except TenantNotFoundError:
            self._remember_unknown(tenant_id)
            return None
        return None if found.status == "deleted" else found

    def _remember_unknown(self, tenant_id: str) -> None:
        now = self._clock()
        if len(self._unknown) >= _UNKNOWN_MAX:
            self._unknown = {t: until for t, until in self._unknown.items() if until > now}
            if len(self._unknown) >= _UNKNOWN_MAX:
                self._unknown.clear()
        self._unknown[tenant_id] = now + self._unknown_ttl_s

    async def active(self, tenant_id: str) -> bool:
        """Whether the tenant exists and may receive traffic (not suspended, not deleted)."""
        found = await self.tenant(tenant_id)
        return found is not None and found.status == "active"

    async def secrets(self, kind: SecretKind, tenant_id: str) -> list[str]:
        """Every secret a webhook of ``kind`` of the tenant may be signed with (none: no
        credentials of that kind)."""
        # During a rotation the previous secret verifies too, until its window ends.
        now = datetime.now(UTC)
        if kind == "meta":
            meta = await self._meta.get(tenant_id)
            return meta.signing_secrets(now) if meta else []
        if kind == "genesys":
            genesys = await self._genesys.get(tenant_id)
            return genesys.signing_secrets(now) if genesys else []
        app = await self._shared_app.get("meta-app")
        return [app.app_secret] if app else []

    async def reread(self, kind: SecretKind, tenant_id: str) -> list[str] | None:
        """The secrets read afresh from Vault (a rotation since we cached them?), or None
        when they were re-read less than the interval ago."""
        if not self._rereads.allow(kind, tenant_id):
            return None
        if kind == "meta":
            self._meta.invalidate(tenant_id)
        elif kind == "genesys":
            self._genesys.invalidate(tenant_id)
        else:
            self._shared_app.invalidate("meta-app")
        return await self.secrets(kind, tenant_id)

    async def verify_token(self, tenant_id: str) -> str | None:
        """The tenant's Meta handshake verify token, if it has Meta credentials."""
        meta = await self._meta.get(tenant_id)
        return meta.verify_token if meta else None

    async def owned_numbers(self, tenant_id: str) -> set[str]:
        """The business numbers the tenant owns."""
        return await self._owned.get(tenant_id)

    async def number_owner(self, phone_number_id: str) -> str | None:
        """The tenant owning a business number, or None."""
        owner = await self._owner.get(phone_number_id)
        return owner.tenant_id if owner else None

    async def shared_meta_app(self) -> SharedMetaApp:
        """The operator's shared Meta app, or ``SharedAppMissingError``."""
        app = await self._shared_app.get("meta-app")
        if app is None:
            raise SharedAppMissingError("this wagen runs no shared Meta app")
        return app

    def tenant_changed(self, tenant_id: str) -> None:
        """PostgreSQL announced a change of the tenant: forget what is cached about it."""
        self._tenants.invalidate(tenant_id)
        self._unknown.pop(tenant_id, None)
        self._owned.invalidate(tenant_id)
        self._meta.invalidate(tenant_id)
        self._genesys.invalidate(tenant_id)

    def everything_changed(self) -> None:
        """Announcements may have been missed (the listener reconnected): forget it all."""
        for cache in (self._tenants, self._owned, self._owner, self._meta, self._genesys):
            cache.invalidate_all()
        self._unknown.clear()
