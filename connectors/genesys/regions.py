"""Genesys Cloud regions: the region -> domain table, and the hosts a tenant's calls go to.

A tenant names its region (``eu-west-1``) or its domain (``mypurecloud.ie``); the token host
is ``login.<domain>`` and the API host ``api.<domain>`` (reference section 1). A sandbox or
test run overrides both hosts, for every tenant through the settings or for one tenant by
building :class:`GenesysEndpoints` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from connectors.settings import GenesysClientSettings

GENESYS_REGIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "us-east-1": "mypurecloud.com",
        "us-east-2": "use2.us-gov-pure.cloud",
        "us-west-2": "usw2.pure.cloud",
        "ca-central-1": "cac1.pure.cloud",
        "sa-east-1": "sae1.pure.cloud",
        "mx-central-1": "mxc1.pure.cloud",
        "eu-west-1": "mypurecloud.ie",
        "eu-west-2": "euw2.pure.cloud",
        "eu-central-1": "mypurecloud.de",
        "eu-central-2": "euc2.pure.cloud",
        "eusc-de-east-1": "edee1.eusc-pure.cloud",
        "ap-south-1": "aps1.pure.cloud",
        "ap-northeast-1": "mypurecloud.jp",
        "ap-northeast-2": "apne2.pure.cloud",
        "ap-northeast-3": "apne3.pure.cloud",
        "ap-southeast-1": "apse1.pure.cloud",
        "ap-southeast-2": "mypurecloud.com.au",
        "me-central-1": "mec1.pure.cloud",
    }
)
"""Every Genesys Cloud region and its domain (reference section 1, source S1)."""

_DOMAINS: Final = frozenset(GENESYS_REGIONS.values())


class UnknownRegionError(ValueError):
    """The region is neither a known region name nor a known Genesys domain."""


@dataclass(frozen=True, slots=True)
class GenesysEndpoints:
    """Where one tenant's Genesys calls go.

    Attributes:
        login_url: base of ``/oauth/token`` (``https://login.<domain>``).
        api_url: base of ``/api/v2/...`` (``https://api.<domain>``).
    """

    login_url: str
    api_url: str

    @classmethod
    def for_domain(cls, domain: str) -> GenesysEndpoints:
        """The real hosts of a Genesys domain."""
        return cls(login_url=f"https://login.{domain}", api_url=f"https://api.{domain}")


def region_domain(region: str) -> str:
    """The domain of a region name, or the region itself when it is already a known domain.

    Raises:
        UnknownRegionError: neither (an arbitrary host is refused: the client secret is
            sent to it).
    """
    key = region.strip().lower()
    domain = GENESYS_REGIONS.get(key) or (key if key in _DOMAINS else None)
    if domain is None:
        raise UnknownRegionError(f"unknown Genesys region or domain {region!r}")
    return domain


def resolve_endpoints(
    region: str, settings: GenesysClientSettings | None = None
) -> GenesysEndpoints:
    """The endpoints of a tenant: the settings' override when set, else the region's hosts."""
    if settings is not None and settings.login_url and settings.api_url:
        return GenesysEndpoints(login_url=settings.login_url, api_url=settings.api_url)
    return GenesysEndpoints.for_domain(region_domain(region))
