"""Settings sections the connectors own: the Meta and Genesys HTTP clients.

Plain models; the process-level ``WagenSettings`` composes them and reads the environment
(``WAGEN_META_*``, ``WAGEN_GENESYS_*``), so nothing here reads env vars by itself. Each
section is flat because ``WagenSettings`` splits a variable name once only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.retry import RetryPolicy


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or fragment")
    return value.rstrip("/")


class MetaClientSettings(BaseModel):
    """The WhatsApp Cloud API (Graph) client: where it calls, how long it waits, how it retries."""

    model_config = ConfigDict(frozen=True)

    graph_url: str = Field(
        default="https://graph.facebook.com",
        description="Graph API base URL; point it at `wagen sandbox meta` for local runs.",
    )
    api_version: str = Field(
        default="v25.0",
        pattern=r"^v[0-9]+\.[0-9]+$",
        description=(
            "Pinned Graph API version: v25.0 sends to business-scoped user ids (`recipient`), "
            "which v23/v24 do not take; bodies stay v23-spec compatible otherwise."
        ),
    )
    media_hosts: tuple[str, ...] = Field(
        default=("lookaside.fbsbx.com",),
        description="Hosts a media download URL may point at (the token is sent there).",
    )
    timeout_s: float = Field(default=10.0, gt=0, description="Total timeout of one Graph call.")
    media_timeout_s: float = Field(
        default=60.0, gt=0, description="Total timeout of one media upload or download."
    )
    max_media_bytes: int = Field(
        default=100 * 1024 * 1024, ge=1, description="Largest media file downloaded or uploaded."
    )
    retry_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per Graph call, counting the first."
    )
    retry_base_delay_s: float = Field(
        default=0.5, ge=0, description="First backoff delay; doubles per attempt, with jitter."
    )
    retry_max_delay_s: float = Field(default=8.0, ge=0, description="Longest backoff delay.")
    max_retry_after_s: float = Field(
        default=30.0,
        ge=0,
        description="Longest Retry-After waited in-process; longer ones go to the retry topic.",
    )

    _check_url = field_validator("graph_url")(_base_url)

    @property
    def retry(self) -> RetryPolicy:
        """The in-process retry schedule of Graph calls."""
        return RetryPolicy(
            attempts=self.retry_attempts,
            base_delay_s=self.retry_base_delay_s,
            max_delay_s=self.retry_max_delay_s,
            max_retry_after_s=self.max_retry_after_s,
        )


class GenesysClientSettings(BaseModel):
    """The Genesys Cloud client: OAuth tokens and the Open Messaging inbound API."""

    model_config = ConfigDict(frozen=True)

    login_url: str | None = Field(
        default=None,
        description="Overrides every tenant's region login host (e.g. `wagen sandbox genesys`).",
    )
    api_url: str | None = Field(
        default=None,
        description="Overrides every tenant's region API host; set together with the login URL.",
    )
    timeout_s: float = Field(default=10.0, gt=0, description="Total timeout of one API call.")
    token_timeout_s: float = Field(
        default=10.0, gt=0, description="Total timeout of one OAuth token request."
    )
    token_refresh_margin_s: float = Field(
        default=60.0,
        ge=0,
        description="Refresh a token this long before it expires (at most half its lifetime).",
    )
    attachment_timeout_s: float = Field(
        default=60.0, gt=0, description="Total timeout of downloading an agent's attachment."
    )
    max_attachment_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, description="Largest agent attachment downloaded."
    )
    retry_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per Genesys call, counting the first."
    )
    retry_base_delay_s: float = Field(
        default=0.5, ge=0, description="First backoff delay; doubles per attempt, with jitter."
    )
    retry_max_delay_s: float = Field(default=8.0, ge=0, description="Longest backoff delay.")
    max_retry_after_s: float = Field(
        default=30.0,
        ge=0,
        description="Longest Retry-After waited in-process; longer ones go to the retry topic.",
    )

    _check_urls = field_validator("login_url", "api_url")(_base_url)

    @model_validator(mode="after")
    def _both_or_neither(self) -> GenesysClientSettings:
        if (self.login_url is None) != (self.api_url is None):
            raise ValueError("set both login_url and api_url, or neither")
        return self

    @property
    def retry(self) -> RetryPolicy:
        """The in-process retry schedule of Genesys calls."""
        return RetryPolicy(
            attempts=self.retry_attempts,
            base_delay_s=self.retry_base_delay_s,
            max_delay_s=self.retry_max_delay_s,
            max_retry_after_s=self.max_retry_after_s,
        )
