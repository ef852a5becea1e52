"""Failed authentication, throttled per client address and per API-key prefix, in Redis.

Wrong API keys, admin tokens, JWTs and webhook signatures used to get 401 forever. Each
failure now increments a counter per client address (and per key prefix, for an API key)
that lives for one window (``WAGEN_TENANCY_AUTH_FAILURE_WINDOW_S``); once one reaches
``WAGEN_TENANCY_AUTH_FAILURE_LIMIT`` the caller gets 429 with ``Retry-After`` until the
window ends. Counters are shared by every gateway replica (one Lua script per failure, on
Redis's clock); a block seen once is also remembered in process, so a blocked client costs
no Redis call until it lifts.

Where it applies:

* API routes (admin and tenant): a client or key prefix that is blocked gets 429 *before*
  its credential is checked, valid or not, so guessing stops for the window; requests
  without any credential are not counted (they guess nothing).
* Webhook routes: failures are counted per client address the same way, but a correctly
  signed webhook always passes: Meta and Genesys share their addresses between tenants,
  and one tenant's misconfigured secret must not hold up another's traffic.

The client address is the TCP peer, or behind a load balancer the one
``WAGEN_GATEWAY_TRUSTED_PROXIES`` says to believe (README "Security"): without it, every
client behind a proxy shares the proxy's address, and one of them can hold all the others
at 429 on the API routes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Final, Literal, Protocol

import redis.exceptions
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from tenancy.errors import AuthThrottledError
from tenancy.settings import TenancySettings

Scope = Literal["admin", "tenant", "webhook"]

_FAILED_SCRIPT: Final = """
local window_ms = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blocked_ms = 0
for _, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, window_ms) end
  if n >= limit then
    local ttl = redis.call('PTTL', key)
    if ttl > blocked_ms then blocked_ms = ttl end
  end
end
return blocked_ms
"""
"""Count one failure on every key; the longest block (ms) any key is now under, else 0."""

_BLOCKED_SCRIPT: Final = """
local limit = tonumber(ARGV[1])
local blocked_ms = 0
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= limit then
    local ttl = redis.call('PTTL', key)
    if ttl > blocked_ms then blocked_ms = ttl end
  end
end
return blocked_ms
"""
"""The longest block (ms) any key is under, else 0; counts nothing."""

_LOCAL_BLOCKS_MAX: Final = 10_000
_WARN_EVERY_S: Final = 60.0

log = logging.getLogger(__name__)


class AuthObserver(Protocol):
    """Told about each counted failure and each request throttled (the gateway's metrics)."""

    def auth_failed(self, scope: Scope) -> None:
        """A credential or signature was refused."""

    def auth_throttled(self, scope: Scope) -> None:
        """A request was answered 429 by this throttle."""


class _Unobserved:
    def auth_failed(self, scope: Scope) -> None:
        """Nothing watches."""

    def auth_throttled(self, scope: Scope) -> None:
        """Nothing watches."""


class AuthThrottle:
    """Failure counters keyed ``<prefix>authfail:addr:<address>`` and ``...:key:<prefix>``."""

    def __init__(
        self,
        redis: Redis,
        settings: TenancySettings,
        observer: AuthObserver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._prefix = f"{settings.redis_prefix}authfail:"
        self._limit = settings.auth_failure_limit
        self._window_ms = math.ceil(settings.auth_failure_window_s * 1000)
        self._failed = redis.register_script(_FAILED_SCRIPT)
        self._blocked = redis.register_script(_BLOCKED_SCRIPT)
        self._observer = observer or _Unobserved()
        self._clock = clock
        self._local: dict[str, float] = {}
        self._warned_at = -_WARN_EVERY_S

    def _keys(self, address: str, key_prefix: str | None) -> list[str]:
        keys = [f"{self._prefix}addr:{address}"]
        if key_prefix is not None:
            keys.append(f"{self._prefix}key:{key_prefix}")
        return keys

    def _remember(self, keys: list[str], blocked_ms: int) -> None:
        if len(self._local) >= _LOCAL_BLOCKS_MAX:
            now = self._clock()
            self._local = {k: t for k, t in self._local.items() if t > now}
            if len(self._local) >= _LOCAL_BLOCKS_MAX:
                self._local.clear()  # a flood of addresses: Redis still has every block
        until = self._clock() + blocked_ms / 1000
        for key in keys:
            self._local[key] = until

    def _locally_blocked_s(self, keys: list[str]) -> float:
        now = self._clock()
        return max((self._local.get(k, now) - now for k in keys), default=0.0)

    def _throttled(self, scope: Scope, wait_s: float) -> AuthThrottledError:
        self._observer.auth_throttled(scope)
        return AuthThrottledError(retry_after_s=max(1, math.ceil(wait_s)))

    async def _run(self, script: AsyncScript, keys: list[str], args: list[float]) -> int:
        """The script's answer; 0 (nothing blocked) while Redis is unreachable: the throttle
        is a second line of defence, and the credential checks hold without it."""
        try:
            return int(await script(keys=keys, args=args))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            now = self._clock()
            if now - self._warned_at >= _WARN_EVERY_S:
                self._warned_at = now
                log.warning(
                    "failed-authentication throttle off: Redis unreachable",
                    extra={"error": type(exc).__name__},
                )
            return 0

    async def check(self, scope: Scope, address: str, key_prefix: str | None = None) -> None:
        """Raise ``AuthThrottledError`` if the client or the key prefix is blocked now."""
        keys = self._keys(address, key_prefix)
        local = self._locally_blocked_s(keys)
        if local > 0:
            raise self._throttled(scope, local)
        blocked_ms = await self._run(self._blocked, keys, [self._limit])
        if blocked_ms > 0:
            self._remember(keys, blocked_ms)
            raise self._throttled(scope, blocked_ms / 1000)

    def check_here(self, scope: Scope, address: str) -> None:
        """Like :meth:`check` from what this process has seen only: no Redis call."""
        wait_s = self._locally_blocked_s(self._keys(address, None))
        if wait_s > 0:
            raise self._throttled(scope, wait_s)

    async def failed(self, scope: Scope, address: str, key_prefix: str | None = None) -> None:
        """Count one failure; raise ``AuthThrottledError`` if that reaches the limit."""
        self._observer.auth_failed(scope)
        keys = self._keys(address, key_prefix)
        blocked_ms = await self._run(self._failed, keys, [self._window_ms, self._limit])
        if blocked_ms > 0:
            self._remember(keys, blocked_ms)
            raise self._throttled(scope, blocked_ms / 1000)
