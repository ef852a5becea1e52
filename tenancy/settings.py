"""Settings sections for the stores tenancy owns: PostgreSQL, Redis and Vault.

They are plain models; the process-level ``WagenSettings`` composes them and reads the
environment, so nothing here reads env vars by itself.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


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
    timeout_s: float = Field(default=5.0, gt=0, description="HTTP timeout of each Vault call.")
