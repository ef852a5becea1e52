"""The one settings class of every wagen process, read from ``WAGEN_*`` environment variables.

Sections nest one level: ``WAGEN_GATEWAY_PORT`` sets ``gateway.port`` and
``WAGEN_POSTGRES_DSN`` sets ``postgres.dsn``. Build it once in the entry point and pass it
down; nothing imports a global instance.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.settings import GenesysClientSettings, MetaClientSettings
from tenancy.settings import (
    AdminSettings,
    JwtSettings,
    OnboardingSettings,
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
    min_insync_replicas: int = Field(
        default=1,
        ge=1,
        description="`min.insync.replicas` of each wagen topic: replicas that must hold a "
        "webhook before the gateway answers 200 (2 with 3 replicas).",
    )
    topic_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9._-]{0,48}$",
        description="Put before every wagen topic name, so pipelines can share a cluster "
        "(the tests and the bench use their own). Read once when a process starts.",
    )

    @model_validator(mode="after")
    def _writable(self) -> KafkaSettings:
        # acks=all waits for min.insync.replicas copies: more than exist and nothing is stored.
        if self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"min_insync_replicas ({self.min_insync_replicas}) above replication_factor "
                f"({self.replication_factor}): the brokers would refuse every write"
            )
        return self

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
    body_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Longest wait for a request body to arrive in full (408 after: slow "
        "clients do not hold connections).",
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest wait for a new connection's request headers (408 and closed "
        "after: slow-header clients do not hold connections).",
    )
    secret_reread_interval_s: float = Field(
        default=10.0,
        ge=0,
        description="After a signature fails, a tenant's secret is re-read from Vault (a "
        "rotation) at most once per this interval, so bad webhooks cannot hammer Vault.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses or CIDRs of load balancers whose "
        "X-Forwarded-For names the client (for the failed-auth throttle); empty: the TCP peer.",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Address of the gateway's own /metrics listener (never the public port).",
    )
    metrics_port: int = Field(
        default=8082,
        ge=0,
        le=65535,
        description="Port of the gateway's /metrics listener; 0 picks a free one (logged).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _are_networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                ipaddress.ip_network(part, strict=False)  # ValueError names the bad entry
        return value


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
    held_release_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the worker releases held events whose reason has lifted.",
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
    in_doubt_settle_s: float = Field(
        default=15.0,
        ge=0,
        description=(
            "Wait after a Genesys call with no answer before asking Genesys whether it "
            "accepted the message (and sending it again if not)."
        ),
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
    metrics_host: str = Field(
        default="127.0.0.1", description="Address the worker's /metrics endpoint binds."
    )
    metrics_port: int = Field(
        default=8081,
        ge=0,
        le=65535,
        description="Port of the worker's /metrics endpoint; 0 picks a free one (logged). "
        "Give each worker on one host its own.",
    )
    metrics_sample_interval_s: float = Field(
        default=15.0,
        gt=0,
        description="How often the worker samples consumer lag and DLQ sizes from Kafka.",
    )


class PacingSettings(BaseModel):
    """Per-tenant pacing of vendor calls, and how much the agents hold in flight.

    The buckets live in Redis, shared by every worker (``shared``), or in each worker for
    the share of traffic its partitions carry; see the README's "Pacing, fairness and order".
    """

    model_config = ConfigDict(frozen=True)

    shared: bool = Field(
        default=True,
        description="Keep the pacing buckets in Redis, one budget per tenant across all "
        "workers (false: per worker).",
    )
    genesys_per_minute: float = Field(
        default=300.0, gt=0, description="Genesys calls per minute per tenant (its OAuth client)."
    )
    genesys_burst: int = Field(
        default=5, ge=1, description="Genesys calls a tenant may make at once after a quiet spell."
    )
    genesys_overrides: dict[str, float] = Field(
        default_factory=dict,
        description="Tenant id -> Genesys calls per minute, for tenants with a raised limit.",
    )
    meta_per_second: float = Field(
        default=80.0, gt=0, description="Meta sends per second per business phone number."
    )
    meta_burst: int = Field(
        default=80, ge=1, description="Meta sends a number may make at once after a quiet spell."
    )
    max_in_flight: int = Field(
        default=1000,
        ge=1,
        description="Unfinished records an agent holds per worker (running or awaiting a turn).",
    )
    max_unacked: int = Field(
        default=20_000,
        ge=1,
        description="Records an agent holds per worker until committable (finished ones behind "
        "an unfinished one of their partition included).",
    )
    order_marker_ttl_s: float = Field(
        default=3600.0,
        gt=0,
        description="Longest a conversation stays behind a message on the retry topic "
        "if that message is lost (refreshed while it retries).",
    )


class MediaSettings(BaseModel):
    """Inbound media: downloaded from Meta at ingest, re-served to Genesys by signed links.

    Meta's media ids expire and its download URLs live five minutes, so the worker keeps
    the bytes in the media store and gives Genesys a ``GET /media/{token}`` link on the
    gateway; the token (HMAC with ``link_secret``) names the tenant, the media id and an
    expiry, and is the only authorization the route asks for.
    """

    model_config = ConfigDict(frozen=True)

    backend: Literal["postgres", "s3"] = Field(
        default="postgres",
        description="Where media bytes live, shared by every gateway replica: `postgres` or "
        "`s3` (any S3-compatible store; its key in Vault, see the README's media paragraph).",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8080",
        description="The gateway's public base URL, as Genesys reaches it (https in production).",
    )
    link_secret: SecretStr = Field(
        default=SecretStr("wagen-dev-media-link-secret-change-me"),
        description="Server secret signing media links (at least 32 characters in production).",
    )
    link_ttl_s: float = Field(
        default=86_400.0, gt=0, description="How long a media link given to Genesys works."
    )
    retention_s: float = Field(
        default=7 * 86_400.0,
        gt=0,
        description="How long stored media is kept (at least the link TTL), then purged.",
    )
    max_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=1,
        description="Largest inbound media file carried (Genesys takes 25 MB); larger is noted.",
    )
    purge_interval_s: float = Field(
        default=3_600.0, gt=0, description="How often the gateway purges expired media."
    )
    s3_endpoint_url: str = Field(
        default="",
        pattern=r"^(https?://[^/?#]+/?)?$",
        description="S3 API base URL (`https://host[:port]`, e.g. MinIO's); empty: AWS S3 "
        "in `WAGEN_MEDIA_S3_REGION`.",
    )
    s3_region: str = Field(
        default="us-east-1",
        min_length=1,
        description="S3 signing region (`us-east-1` suits most S3-compatible servers).",
    )
    s3_bucket: str = Field(
        default="", description="Bucket holding the media (required with backend `s3`)."
    )
    s3_prefix: str = Field(
        default="wagen-media",
        description="Key prefix: objects are `<prefix>/<tenant_id>/<media_id>`.",
    )
    s3_path_style: bool = Field(
        default=False,
        description="Path-style URLs (`host/bucket/key`: MinIO, most self-hosted stores) "
        "instead of virtual-hosted (`bucket.host/key`).",
    )
    s3_timeout_s: float = Field(
        default=60.0, gt=0, description="Timeout of one S3 request (a 25 MB upload included)."
    )
    link_previous_secret: SecretStr | None = Field(
        default=None,
        description="The link secret before the last rotation: links it signed still work "
        "until `WAGEN_MEDIA_LINK_PREVIOUS_SECRET_UNTIL` (set both, for at least the link TTL).",
    )
    link_previous_secret_until: AwareDatetime | None = Field(
        default=None,
        description="When the previous link secret stops being accepted (ISO-8601 with zone).",
    )

    @property
    def s3_endpoint(self) -> str:
        """The S3 endpoint: the setting, or AWS's regional endpoint when it is empty."""
        return self.s3_endpoint_url.rstrip("/") or f"https://s3.{self.s3_region}.amazonaws.com"

    @model_validator(mode="after")
    def _keeps_bytes_while_links_work(self) -> MediaSettings:
        # A link that outlives its bytes would answer 404 to a Genesys fetch it promised.
        if self.retention_s < self.link_ttl_s:
            raise ValueError("media retention_s must be at least link_ttl_s")
        if self.backend == "s3" and not self.s3_bucket:
            raise ValueError("media backend s3 needs WAGEN_MEDIA_S3_BUCKET")
        if (self.link_previous_secret is None) != (self.link_previous_secret_until is None):
            raise ValueError("set both media link_previous_secret and its _until, or neither")
        return self


class MetricsSettings(BaseModel):
    """Prometheus metrics of every process (see the README's "Metrics")."""

    model_config = ConfigDict(frozen=True)

    tenant_label: bool = Field(
        default=True,
        description="Label series with the tenant id; false folds every tenant into `_all` "
        "(for very many tenants).",
    )
    token: SecretStr | None = Field(
        default=None,
        description="Bearer token the /metrics listeners of the gateway and the worker require "
        "when set (their /healthz stays open for probes).",
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


class ConsoleSettings(BaseModel):
    """The web console the gateway serves at ``/console`` (see the README's "Console")."""

    model_config = ConfigDict(frozen=True)

    session_ttl_s: float = Field(
        default=1800.0,
        ge=60,
        le=43_200,
        description="How long a console sign-in lasts (no renewal; a JWT's own expiry wins "
        "when sooner).",
    )


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
    environment: Literal["production", "development"] = Field(
        default="production",
        description="`development` lets the gateway and the worker start with the built-in dev "
        "secrets (`make run`, Compose, the tests; sandbox mode implies it); `production` refuses "
        "them and too-short secrets, one line per setting.",
    )
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop",
        description="Event loop of the gateway and the worker (`asyncio`: the standard one).",
    )
    simulators: SimulatorSettings = SimulatorSettings()
    kafka: KafkaSettings = KafkaSettings()
    postgres: PostgresSettings = PostgresSettings()
    redis: RedisSettings = RedisSettings()
    vault: VaultSettings = VaultSettings()
    gateway: GatewaySettings = GatewaySettings()
    worker: WorkerSettings = WorkerSettings()
    log: LogSettings = LogSettings()
    metrics: MetricsSettings = MetricsSettings()
    tenancy: TenancySettings = TenancySettings()
    # A section named `admin` makes the bootstrap token's variable WAGEN_ADMIN_TOKEN.
    admin: AdminSettings = AdminSettings()
    jwt: JwtSettings = JwtSettings()
    meta: MetaClientSettings = MetaClientSettings()
    genesys: GenesysClientSettings = GenesysClientSettings()
    media: MediaSettings = MediaSettings()
    pacing: PacingSettings = PacingSettings()
    console: ConsoleSettings = ConsoleSettings()
    onboarding: OnboardingSettings = OnboardingSettings()

    @property
    def development(self) -> bool:
        """Whether dev secrets are acceptable: ``WAGEN_ENVIRONMENT=development`` or sandbox mode."""
        return self.environment == "development" or self.sandbox
