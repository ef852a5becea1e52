"""The root of wagen's error hierarchy, shared by every package.

Each package adds one category below it (``TenancyError``, ``PipelineError``, ...). Facts
travel as attributes so handlers decide by attribute, never by parsing messages.
"""

from __future__ import annotations

from typing import ClassVar


class WagenError(Exception):
    """Base of every error wagen raises on purpose.

    Attributes:
        retriable: whether trying the same operation again later may succeed.
        code: a stable, machine-readable identifier (used in JSON error bodies).
        tenant_id: the tenant concerned, when there is one.
    """

    retriable: ClassVar[bool] = False
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, tenant_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tenant_id = tenant_id
