"""What ``--tenant`` of a dry run may set (``pipeline.cli.dryrun``), validated by pydantic.

In a module of its own so that the dry-run commands' ``--help`` loads no pydantic model;
the translation contexts import the translation code only for the command that needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from connectors.translate import GenesysTarget, MetaTarget


class DryRunTenant(BaseModel):
    """What ``--tenant`` may set; every field defaults to a visible placeholder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(default="dry-run", min_length=1)
    integration_id: str = Field(default="{integrationId}", min_length=1)
    phone_number_id: str = Field(default="{phone-number-id}", min_length=1)
    media_base_url: str = Field(default="{media-base-url}", min_length=1)

    def genesys_target(self) -> GenesysTarget:
        """Translation context towards Genesys, tracking lookups answered by placeholders."""
        from connectors.translate import GenesysTarget

        base = self.media_base_url.rstrip("/")
        return GenesysTarget(
            integration_id=self.integration_id,
            media_url=lambda media_id: f"{base}/{media_id}",
            genesys_message_id=lambda wamid: f"{{genesys-message-id:{wamid}}}",
        )

    def meta_target(self) -> MetaTarget:
        """Translation context towards Meta, the latest inbound wamid a placeholder."""
        from connectors.translate import MetaTarget

        return MetaTarget(
            phone_number_id=self.phone_number_id,
            last_inbound_wamid=lambda customer: f"{{last-inbound-wamid:{customer}}}",
        )
