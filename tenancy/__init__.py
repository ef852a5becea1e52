"""Tenants, keys, credentials in Vault, quotas, usage, audit, and tenant-scoped storage."""
