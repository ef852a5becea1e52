"""The ``wa.events`` kinds beside customer messages and statuses, in one place for the agent.

:class:`SideEvents` is what :mod:`pipeline.worker.forward_agent` hands an echo, a call event
or a preference change to, and what counts a status's pricing before the status becomes a
receipt. Each kind keeps its own module (:mod:`~pipeline.worker.echoes`,
:mod:`~pipeline.worker.calls`, :mod:`~pipeline.worker.accounting`); failures propagate to the
agent, which routes them (retry, held, DLQ) like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.worker.accounting import Accounting, PreferenceResult
from pipeline.worker.calls import CallHandler, CallResult
from pipeline.worker.echoes import EchoForwarder, EchoResult
from schemas.events import CallReceived, EchoReceived, PreferenceChanged, StatusReceived

SideResult = EchoResult | CallResult | PreferenceResult
"""What became of a side event, in one word for the log and the metrics."""

SideEvent = EchoReceived | CallReceived | PreferenceChanged
"""The event kinds :meth:`SideEvents.handle` takes."""


@dataclass(frozen=True)
class SideEvents:
    """Echoes, calls, preferences and pricing, for every tenant (one per worker)."""

    echoes: EchoForwarder
    calls: CallHandler
    accounting: Accounting

    async def handle(self, event: SideEvent) -> SideResult:
        """Carry or record one side event."""
        if isinstance(event, EchoReceived):
            return await self.echoes.forward(event)
        if isinstance(event, CallReceived):
            return await self.calls.handle(event)
        return await self.accounting.preference(event)

    async def before_status(self, event: StatusReceived) -> None:
        """What a status needs before its receipt: its pricing counted (once per message)."""
        await self.accounting.pricing(event)
