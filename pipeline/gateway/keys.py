"""Typed keys of what the gateway stores on its ``web.Application``."""

from __future__ import annotations

from aiohttp import web

from pipeline.gateway.readiness import Check
from pipeline.gateway.tenant_secrets import TenantSecrets
from pipeline.kafka.producer import EventProducer
from pipeline.runtime.resources import Resources
from pipeline.settings import WagenSettings

SETTINGS_KEY = web.AppKey("settings", WagenSettings)
RESOURCES_KEY = web.AppKey("resources", Resources)
CHECKS_KEY = web.AppKey("readiness_checks", dict[str, Check])
PRODUCER_KEY = web.AppKey("producer", EventProducer)
TENANT_SECRETS_KEY = web.AppKey("tenant_secrets", TenantSecrets)
