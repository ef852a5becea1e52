"""Settings sections tenancy owns: its stores (PostgreSQL, Redis, Vault) and the tenant layer.

They are plain models; the process-level ``WagenSettings`` composes them and reads the
environment, so nothing here reads env vars by itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


def censor_url(url: str) -> str:
    """Return ``url`` with any password replaced, so it can be logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresSettings(BaseModel):
    """PostgreSQL, home of tenants, mappings, tracking, usage and the audit log."""

    model_config = ConfigDict(frozen=True)

    dsn: SecretStr = Field(
        default=SecretStr("postgresql://wagen:wagen@127.0.0.1:5432/wagen"),
        description="libpq URL; it carries the password, so it is a secret and never logged.",
    )
    pool_min_size: int = Field(
        default=0,
        ge=0,
        description="Connections opened at start; 0 lets a process start while PostgreSQL is down.",
    )
    pool_max_size: int = Field(default=10, ge=1, description="Upper bound of the pool per process.")
    command_timeout_s: float = Field(default=10.0, gt=0, description="Per-statement timeout.")

    @field_validator("dsn")
    @classmethod
    def _is_postgres_url(cls, value: SecretStr) -> SecretStr:
        scheme = urlsplit(value.get_secret_value()).scheme
        if scheme not in {"postgresql", "postgres"}:
            raise ValueError("must be a postgresql:// URL")
        return value

    @property
    def dsn_for_logs(self) -> str:
        """The DSN with its password masked."""
        return censor_url(self.dsn.get_secret_value())


class RedisSettings(BaseModel):
    """Redis: rate-limit buckets, token cache, dedupe keys, mapping cache (all rebuildable)."""

    model_config = ConfigDict(frozen=True)

    url: SecretStr = Field(
        default=SecretStr("redis://127.0.0.1:6379/0"),
        description="redis:// or rediss:// URL; may carry a password, so it is never logged.",
    )
    socket_timeout_s: float = Field(default=2.0, gt=0, description="Per-command timeout.")

    @field_validator("url")
    @classmethod
    def _is_redis_url(cls, value: SecretStr) -> SecretStr:
        if urlsplit(value.get_secret_value()).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @property
    def url_for_logs(self) -> str:
        """The URL with its password masked."""
        return censor_url(self.url.get_secret_value())


class VaultSettings(BaseModel):
    """Vault (or OpenBao): the only home of tenant credentials, in a KV v2 engine."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(default="http://127.0.0.1:8200", description="Vault API address.")
    token: SecretStr = Field(
        default=SecretStr("wagen-dev-root-token"),
        description="Vault token; the default is the local dev stack's root token.",
    )
    kv_mount: str = Field(default="secret", description="Mount point of the KV v2 engine.")
    tenant_prefix: str = Field(
        default="wagen/tenants", description="Path under the mount where tenant credentials live."
    )
    platform_prefix: str = Field(
        default="wagen/platform",
        description="Path under the mount of the operator's own secrets (the shared Meta app).",
    )
    timeout_s: float = Field(default=5.0, gt=0, description="HTTP timeout of each Vault call.")


class PlanSettings(BaseModel):
    """One commercial plan: what a tenant on it may do."""

    model_config = ConfigDict(frozen=True)

    monthly_messages: int | None = Field(
        ge=0, description="Messages per calendar month; null means unlimited."
    )
    requests_per_second: int = Field(
        default=10, ge=1, description="API rate limit when the tenant has no rate_limit of its own."
    )


class _PlanTable(dict[str, PlanSettings]):
    """The default plans; prints as the JSON one would put in ``WAGEN_TENANCY_PLANS``."""

    def __str__(self) -> str:
        return json.dumps({name: plan.model_dump() for name, plan in self.items()})


def _default_plans() -> dict[str, PlanSettings]:
    return _PlanTable(
        {
            "starter": PlanSettings(monthly_messages=1_000, requests_per_second=10),
            "professional": PlanSettings(monthly_messages=10_000, requests_per_second=50),
            "enterprise": PlanSettings(monthly_messages=None, requests_per_second=200),
        }
    )


class TenancySettings(BaseModel):
    """Tenants: plans, API-key hashing, subdomain resolution, rate limits."""

    model_config = ConfigDict(frozen=True)

    key_pepper: SecretStr = Field(
        default=SecretStr("wagen-dev-pepper-change-me"),
        description="Server secret keying the API-key hashes and credential fingerprints.",
    )
    base_domain: str | None = Field(
        default=None,
        description="Tenants resolve from Host `<subdomain>.<base_domain>`; unset turns it off.",
    )
    plans: dict[str, PlanSettings] = Field(
        default_factory=_default_plans,
        description="Plans as JSON: name -> {monthly_messages, requests_per_second}.",
    )
    default_plan: str = Field(
        default="starter", description="Plan of a tenant created without one."
    )
    last_used_flush_s: float = Field(
        default=30.0, gt=0, description="How often API-key last-used times are written in a batch."
    )
    redis_prefix: str = Field(
        default="wagen:", description="Prefix of every Redis key tenancy writes (buckets, quotas)."
    )
    auth_failure_limit: int = Field(
        default=20,
        ge=1,
        description="Failed authentications (keys, tokens, JWTs, webhook signatures) a client "
        "address, or an API-key prefix, may make per window; then 429 until the window ends.",
    )
    auth_failure_window_s: float = Field(
        default=300.0, gt=0, description="Window of the failed-authentication counters."
    )

    @field_validator("base_domain")
    @classmethod
    def _lower_domain(cls, value: str | None) -> str | None:
        return value.lower().strip(".") if value else None

    @model_validator(mode="after")
    def _default_plan_exists(self) -> TenancySettings:
        if self.default_plan not in self.plans:
            raise ValueError(f"default_plan {self.default_plan!r} is not one of the plans")
        return self


class AdminSettings(BaseModel):
    """Who may call the admin API."""

    model_config = ConfigDict(frozen=True)

    token: SecretStr | None = Field(
        default=None,
        description="Bootstrap admin bearer token; unset leaves admin JWTs as the only way in.",
    )
    jwt_role: str = Field(
        default="wagen-admin", description="Role an admin JWT carries in its role claim."
    )
    jwt_algorithm: Literal["HS256", "RS256"] = Field(
        default="HS256", description="The one algorithm accepted for admin JWTs."
    )
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 key of admin JWTs, apart from tenant JWTs' key; unset (with no "
        "key file) turns admin JWTs off.",
    )
    jwt_public_key_file: Path | None = Field(
        default=None, description="RS256 PEM public key file of admin JWTs."
    )
    jwt_jwks_file: Path | None = Field(
        default=None, description="RS256 JWKS file of admin JWTs; the token's `kid` picks the key."
    )
    jwt_issuer: str | None = Field(
        default=None, description="Required `iss` of admin JWTs when set."
    )
    jwt_audience: str = Field(
        default="wagen-admin",
        min_length=1,
        description="Required `aud` of every admin JWT, so no tenant token passes for one.",
    )


class JwtSettings(BaseModel):
    """Bearer JWTs for tenants (``tenant_id`` claim) and admins (role claim)."""

    model_config = ConfigDict(frozen=True)

    algorithm: Literal["HS256", "RS256"] = Field(
        default="HS256", description="The one algorithm accepted; anything else is refused."
    )
    secret: SecretStr | None = Field(
        default=None, description="HS256 shared secret; unset (with no key file) turns JWTs off."
    )
    public_key_file: Path | None = Field(default=None, description="RS256 PEM public key file.")
    jwks_file: Path | None = Field(
        default=None, description="RS256 JWKS file; the token's `kid` picks the key."
    )
    issuer: str | None = Field(default=None, description="Required `iss` when set.")
    audience: str | None = Field(default=None, description="Required `aud` when set.")
    tenant_claim: str = Field(default="tenant_id", description="Claim naming the tenant.")
    role_claim: str = Field(default="roles", description="Claim listing roles (admin JWTs).")
    leeway_s: int = Field(default=30, ge=0, description="Clock skew tolerated on exp and nbf.")


class OnboardingSettings(BaseModel):
    """Connecting a tenant: what wagen registers with Genesys and Meta, and rotation windows."""

    model_config = ConfigDict(frozen=True)

    public_url: str = Field(
        default="http://127.0.0.1:8080",
        description="wagen's public base URL as Genesys and Meta reach it (https in "
        "production); each tenant's webhook routes under it are registered with both.",
    )
    integration_name: str = Field(
        default="wagen {tenant_id}",
        description="Name of the Genesys Open Messaging integration wagen creates (or adopts "
        "by this name) for a tenant; `{tenant_id}` is replaced.",
    )
    genesys_ready_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Longest wait for a new integration's createStatus to become Completed.",
    )
    genesys_poll_interval_s: float = Field(
        default=1.0, gt=0, description="How often that status is read meanwhile."
    )
    rotation_window_s: float = Field(
        default=86_400.0,
        ge=0,
        description="How long the previous Genesys webhook secret or Meta app secret is still "
        "accepted after a new one is stored.",
    )
    disconnect_on_delete: bool = Field(
        default=True,
        description="Deleting a tenant (or its credentials) also deletes the Genesys "
        "integration and the Meta subscription wagen made; `?disconnect=false` keeps them.",
    )

    @field_validator("public_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query or fragment")
        return value.rstrip("/")

    @field_validator("integration_name")
    @classmethod
    def _names_the_tenant(cls, value: str) -> str:
        if "{tenant_id}" not in value:
            raise ValueError("must contain {tenant_id}, so each tenant gets its own integration")
        return value

    def integration_name_of(self, tenant_id: str) -> str:
        """The Genesys integration name of a tenant."""
        return self.integration_name.replace("{tenant_id}", tenant_id)

    def genesys_webhook_url(self, tenant_id: str) -> str:
        """Where Genesys sends the tenant's agent messages."""
        return f"{self.public_url}/webhooks/genesys/{tenant_id}"

    def meta_webhook_url(self, tenant_id: str) -> str:
        """Where Meta sends the tenant's WhatsApp webhooks (the WABA's callback override)."""
        return f"{self.public_url}/webhooks/meta/{tenant_id}"
