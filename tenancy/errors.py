"""Errors of the tenancy layer and of the stores it owns."""

from __future__ import annotations

from schemas.errors import WagenError


class TenancyError(WagenError):
    """Category root for tenancy and its stores."""

    code = "tenancy_error"


class MigrationError(TenancyError):
    """The database schema cannot be brought to the expected version."""

    code = "migration_error"
