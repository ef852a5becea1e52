"""An in-process TTL cache with single-flight loading.

The gateway must not call Vault or PostgreSQL once per webhook: a tenant's secrets and
status are cached for a short TTL, and when an entry expires under load only one caller
reloads it while the others wait for that one result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values per key, each reloaded by ``load`` at most once per ``ttl_s`` seconds."""

    def __init__(
        self,
        load: Callable[[K], Awaitable[V]],
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._clock = clock
        self._values: dict[K, tuple[float, V]] = {}
        self._inflight: dict[K, asyncio.Future[V]] = {}
        # Bumped by invalidate: a load that began before an invalidation must not cache
        # what it read (it may predate the change that caused the invalidation).
        self._epoch = 0
        self._key_epochs: dict[K, int] = {}

    def _epoch_of(self, key: K) -> tuple[int, int]:
        return self._epoch, self._key_epochs.get(key, 0)

    async def get(self, key: K) -> V:
        """The cached value, or the result of one shared ``load(key)`` call."""
        cached = self._values.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        began = self._epoch_of(key)
        try:
            value = await self._load(key)
        except BaseException as exc:
            # Failures are not cached: the next caller tries again.
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        else:
            if self._epoch_of(key) == began:
                self._values[key] = (self._clock() + self._ttl_s, value)
            future.set_result(value)
            return value
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]

    def invalidate(self, key: K) -> None:
        """Forget ``key`` (e.g. after a signature failure that a rotation may explain); a
        load already under way still answers its callers but caches nothing."""
        self._values.pop(key, None)
        self._inflight.pop(key, None)
        self._key_epochs[key] = self._key_epochs.get(key, 0) + 1

    def invalidate_all(self) -> None:
        """Forget every key (e.g. after missing change notifications)."""
        self._values.clear()
        self._inflight.clear()
        self._key_epochs.clear()
        self._epoch += 1

    def holds(self, key: K) -> bool:
        """Whether a fresh value for ``key`` is cached (no load needed)."""
        cached = self._values.get(key)
        return cached is not None and cached[0] > self._clock()
