"""The one settings class of every wagen process, read from ``WAGEN_*`` environment variables.

Sections nest one level: ``WAGEN_GATEWAY_PORT`` sets ``gateway.port`` and
``WAGEN_POSTGRES_DSN`` sets ``postgres.dsn``. Build it once in the entry point and pass it
down; nothing imports a global instance.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.settings import GenesysClientSettings, MetaClientSettings
from tenancy.settings import (
    AdminSettings,
    JwtSettings,
    PostgresSettings,
    RedisSettings,
    TenancySettings,
    VaultSettings,
)


class KafkaSettings(BaseModel):
    """Kafka, the durable spine: every webhook is stored here before it is acknowledged."""

    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated host:port list of brokers."
    )
    client_id: str = Field(default="wagen", description="Client id prefix seen by the broker.")
    request_timeout_ms: int = Field(
        default=10_000, ge=1_000, description="Broker request timeout of producers and admin."
    )
    partitions: int = Field(
        default=12,
        ge=1,
        description="Partitions of wagen's main topics: the ceiling on worker parallelism.",
    )
    replication_factor: int = Field(
        default=1, ge=1, description="Replicas of each wagen topic (3 on a production cluster)."
    )

    @property
    def servers(self) -> list[str]:
        """The bootstrap list split into host:port entries."""
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]


class GatewaySettings(BaseModel):
    """The aiohttp gateway: webhooks, admin and state APIs, health."""

    model_config = ConfigDict(frozen=True)

    host: str = Field(default="127.0.0.1", description="Address the gateway binds.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port the gateway binds.")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    readiness_timeout_s: float = Field(
        default=2.0, gt=0, description="How long /readyz waits for each dependency."
    )
    publish_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for Kafka to store a webhook before answering 503.",
    )
    secrets_ttl_s: float = Field(
        default=60.0,
        gt=0,
        description="How long tenant status and webhook secrets are cached in process.",
    )


class WorkerSettings(BaseModel):
    """The Faust worker: its app id is also its Kafka consumer group."""

    model_config = ConfigDict(frozen=True)

    app_id: str = Field(default="wagen", description="Faust app id = consumer group id.")
    topic_partitions: int = Field(
        default=6, ge=1, description="Partitions of the Faust app's own internal topics."
    )
    new_group_offset: Literal["earliest", "latest"] = Field(
        default="earliest",
        description="Where a brand-new consumer group starts: earliest loses nothing.",
    )
    retry_attempts: int = Field(
        default=6,
        ge=1,
        le=50,
        description="Attempts of one event through the retry topic, counting the first; "
        "then the DLQ.",
    )
    retry_base_delay_s: float = Field(
        default=2.0, gt=0, description="First retry-topic delay; doubles per attempt, jittered."
    )
    retry_max_delay_s: float = Field(
        default=600.0, gt=0, description="Longest retry-topic delay (Retry-After may exceed it)."
    )
    claim_lease_s: float = Field(
        default=120.0,
        gt=0,
        description="How long an in-flight delivery claim keeps duplicates out if its holder dies.",
    )
    dedupe_ttl_s: float = Field(
        default=8 * 86_400.0,
        gt=0,
        description="How long Redis remembers a delivered message id (Meta retries for 7 days).",
    )
    tenant_cache_ttl_s: float = Field(
        default=60.0,
        gt=0,
        description="How long the worker caches a tenant's status and credentials in process.",
    )


class LogSettings(BaseModel):
    """Process logging."""

    model_config = ConfigDict(frozen=True)

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Root log level."
    )
    json_lines: bool = Field(
        default=False, description="One JSON object per line instead of plain text."
    )


class SimulatorSettings(BaseModel):
    """Where ``make run`` starts the Meta and Genesys simulators in sandbox mode."""

    model_config = ConfigDict(frozen=True)

    host: str = Field(default="127.0.0.1", description="Address both simulators bind.")
    meta_port: int = Field(default=8090, ge=1, le=65535, description="Meta simulator port.")
    genesys_port: int = Field(default=8091, ge=1, le=65535, description="Genesys simulator port.")


class WagenSettings(BaseSettings):
    """Everything a wagen process is configured with; defaults point at the local stack."""

    model_config = SettingsConfigDict(
        env_prefix="WAGEN_",
        env_nested_delimiter="_",
        # Split once only: WAGEN_KAFKA_BOOTSTRAP_SERVERS -> kafka.bootstrap_servers.
        env_nested_max_split=1,
        frozen=True,
        extra="ignore",
    )

    sandbox: bool = Field(
        default=False,
        description="Run against the local simulators with a demo tenant (`make run` sets it).",
    )
    simulators: SimulatorSettings = SimulatorSettings()
    kafka: KafkaSettings = KafkaSettings()
    postgres: PostgresSettings = PostgresSettings()
    redis: RedisSettings = RedisSettings()
    vault: VaultSettings = VaultSettings()
    gateway: GatewaySettings = GatewaySettings()
    worker: WorkerSettings = WorkerSettings()
    log: LogSettings = LogSettings()
    tenancy: TenancySettings = TenancySettings()
    # A section named `admin` makes the bootstrap token's variable WAGEN_ADMIN_TOKEN.
    admin: AdminSettings = AdminSettings()
    jwt: JwtSettings = JwtSettings()
    meta: MetaClientSettings = MetaClientSettings()
    genesys: GenesysClientSettings = GenesysClientSettings()
