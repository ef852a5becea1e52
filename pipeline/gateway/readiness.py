"""Dependency checks behind ``/readyz``: one verdict per dependency, run concurrently.

Each check gets its own timeout, so one hung dependency cannot make the probe itself hang
(a load balancer would then see a timeout instead of a clear 503 with the reason).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from pipeline.runtime.resources import Resources

Check = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one dependency check."""

    ok: bool
    latency_ms: float
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        """The JSON shape served by ``/readyz``."""
        body: dict[str, object] = {
            "status": "up" if self.ok else "down",
            "latency_ms": round(self.latency_ms, 1),
        }
        if self.error is not None:
            body["error"] = self.error
        return body


def dependency_checks(resources: Resources) -> dict[str, Check]:
    """The checks of the four stores wagen cannot work without."""

    async def postgres() -> None:
        async with resources.postgres.acquire() as conn:
            await conn.fetchval("SELECT 1")

    async def redis() -> None:
        if not await resources.redis.ping():
            raise ConnectionError("PING not answered")

    return {
        "kafka": resources.kafka.check,
        "postgres": postgres,
        "redis": redis,
        "vault": resources.vault.check,
    }


async def _run_one(check: Check, timeout_s: float) -> Verdict:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout_s)
    except TimeoutError:
        elapsed = (time.perf_counter() - started) * 1000
        return Verdict(ok=False, latency_ms=elapsed, error=f"no answer within {timeout_s:g}s")
    except Exception as exc:  # any failure is a "down" verdict, reported with its reason
        elapsed = (time.perf_counter() - started) * 1000
        return Verdict(ok=False, latency_ms=elapsed, error=f"{type(exc).__name__}: {exc}")
    return Verdict(ok=True, latency_ms=(time.perf_counter() - started) * 1000)


async def check_all(checks: Mapping[str, Check], timeout_s: float) -> dict[str, Verdict]:
    """Run every check concurrently and return a verdict per dependency name."""
    names = list(checks)
    verdicts = await asyncio.gather(*(_run_one(checks[n], timeout_s) for n in names))
    return dict(zip(names, verdicts, strict=True))
