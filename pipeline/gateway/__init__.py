"""The aiohttp gateway: webhook ingress, tenant APIs, health and readiness."""
