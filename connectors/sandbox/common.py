"""What both simulators share: failure injection, the request log, signed webhook delivery.

Every simulator request is recorded (operation, scope, status, body) for tests to inspect at
``GET /_sandbox/requests``, and may be made to fail on demand by a :class:`FailureRule`
posted to ``POST /_sandbox/failures``: answered with a 429 (with ``Retry-After``), a 5xx, a
bad-token 401, or delayed past the client's timeout. A :class:`RateLimitRule` posted to
``POST /_sandbox/rate_limits`` caps a scope's request rate as the vendor does: requests over
it are answered 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.signatures import SIGNATURE_HEADER
from schemas.parsing import describe_validation_error

log = logging.getLogger(__name__)

CONTROL_PREFIX: Final = "/_sandbox"
"""Path prefix of the control and inspection endpoints (never part of a vendor's API)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FailureKind = Literal["rate_limit", "server_error", "timeout", "bad_token"]


class ControlModel(BaseModel):
    """Base of control-endpoint bodies: unknown fields are a typo, so refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FailureRule(ControlModel):
    """Make the next ``count`` matching requests fail.

    Attributes:
        kind: ``rate_limit`` (429 + ``Retry-After``), ``server_error`` (5xx), ``timeout``
            (answer only after ``delay_s``), ``bad_token`` (401, Meta code 190).
        scope: only requests for this phone number id / client id / integration id.
        operation: only this operation (``messages``, ``media_upload``, ``token``...).
        count: how many requests it applies to.
        status: the HTTP status to answer (defaults by kind).
        code: the vendor error code (Meta: 130429, 80007, 131000...).
        retry_after: the ``Retry-After`` seconds of a ``rate_limit``.
        delay_s: how long the answer is held back: a ``timeout`` then answers normally
            (1 s when unset); any other kind answers its error that late, without acting
            on the request (a vendor that never got to it).
    """

    kind: FailureKind
    scope: str | None = None
    operation: str | None = None
    count: int = Field(default=1, ge=1, le=10_000)
    status: int | None = Field(default=None, ge=400, le=599)
    code: int | None = None
    retry_after: int | None = Field(default=None, ge=0, le=3600)
    delay_s: float | None = Field(default=None, ge=0, le=60)


@dataclass
class _Pending:
    rule: FailureRule
    left: int


class FailurePlan:
    """The failure rules still to apply, first posted first used."""

    def __init__(self) -> None:
        self._rules: list[_Pending] = []
        self.delays: dict[int, float] = {}

    def add(self, rule: FailureRule) -> None:
        """Queue a rule."""
        self._rules.append(_Pending(rule, rule.count))

    def take(self, scope: str | None, operation: str) -> FailureRule | None:
        """The first rule matching this request, using up one of its count."""
        for pending in self._rules:
            rule = pending.rule
            if rule.scope not in (None, scope) or rule.operation not in (None, operation):
                continue
            pending.left -= 1
            if pending.left <= 0:
                self._rules.remove(pending)
            return rule
        return None

    def clear(self) -> None:
        """Forget every rule."""
        self._rules.clear()


class RateLimitRule(ControlModel):
    """Cap the request rate of one scope (a token bucket, as the vendors enforce).

    Attributes:
        scope: the phone number id / integration id limited.
        per_second: requests allowed per second, on average.
        burst: requests allowed at once after a quiet spell.
    """

    scope: str = Field(min_length=1)
    per_second: float = Field(gt=0, le=10_000)
    burst: int = Field(default=1, ge=1, le=10_000)


@dataclass
class _Allowance:
    rule: RateLimitRule
    tokens: float
    at: float


class RateLimits:
    """The rate limit of each scope that has one; the others are unlimited."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._scopes: dict[str, _Allowance] = {}

    def set(self, rule: RateLimitRule) -> None:
        """Limit ``rule.scope`` (replacing its earlier limit), starting with a full burst."""
        self._scopes[rule.scope] = _Allowance(rule, float(rule.burst), self._clock())

    def take(self, scope: str | None) -> bool:
        """Whether a request of ``scope`` is within its limit (and count it if so)."""
        allowance = self._scopes.get(scope or "")
        if allowance is None:
            return True
        now, rule = self._clock(), allowance.rule
        allowance.tokens = min(
            float(rule.burst), allowance.tokens + (now - allowance.at) * rule.per_second
        )
        allowance.at = now
        if allowance.tokens < 1 - 1e-9:  # float drift must not refuse an on-time request
            return False
        allowance.tokens -= 1
        return True


class RequestLog:
    """Every request a simulator answered, in order."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(
        self,
        request: web.Request,
        *,
        operation: str,
        scope: str | None,
        status: int,
        body: Any = None,
    ) -> None:
        """Keep one request (the body as parsed JSON, or a summary for binary uploads)."""
        self.entries.append(
            {
                "seq": len(self.entries) + 1,
                "at": time.time(),
                "operation": operation,
                "scope": scope,
                "method": request.method,
                "path": request.path,
                "request_id": request.headers.get("X-Request-Id"),
                "status": status,
                "body": body,
            }
        )

    def select(self, query: Mapping[str, str]) -> list[dict[str, Any]]:
        """Entries whose ``operation``/``scope``/``status`` match the query's."""
        found = self.entries
        for key in ("operation", "scope"):
            if key in query:
                found = [e for e in found if e[key] == query[key]]
        if "status" in query:
            found = [e for e in found if str(e["status"]) == query["status"]]
        return found


_Control = TypeVar("_Control", bound=ControlModel)


async def read_control(request: web.Request, model: type[_Control]) -> _Control:
    """Parse a control body, answering 422 with the first problem when it does not fit."""
    try:
        return model.model_validate_json(await request.read())
    except ValidationError as exc:
        raise web.HTTPUnprocessableEntity(
            text=json.dumps({"error": describe_validation_error(exc)}),
            content_type="application/json",
        ) from None


def compact_json(body: Any, *, ascii_only: bool) -> bytes:
    """JSON without spaces, as both vendors send it (Meta escapes non-ASCII, Genesys not)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=ascii_only).encode("utf-8")


async def deliver_signed(
    session: aiohttp.ClientSession, url: str, raw: bytes, signature: str
) -> int:
    """POST a signed webhook body; return the receiver's status (0 when unreachable)."""
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature}
    try:
        async with session.post(
            url, data=raw, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            await response.read()
            return response.status
    except (TimeoutError, aiohttp.ClientError) as exc:
        log.warning("webhook delivery to %s failed: %s", url, type(exc).__name__)
        return 0


def webhook_session_ctx(
    key: web.AppKey[aiohttp.ClientSession],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` entry owning the session the simulator delivers webhooks with."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            app[key] = session
            yield

    return ctx


FAILURES_KEY: Final = web.AppKey("sandbox_failures", FailurePlan)
"""Each simulator app stores its :class:`FailurePlan` here too, for :func:`delay_middleware`."""


def apply_delay(request: web.Request, rule: FailureRule | None) -> FailureRule | None:
    """Turn a ``timeout`` rule into a late answer; pass any other rule on (late if it says).

    After a ``timeout`` the request is still handled at once (state changes, as at a vendor
    that did the work but answered too late); :func:`delay_middleware` holds the answer back
    for ``delay_s``. Another rule with a ``delay_s`` answers its error that late.
    """
    if rule is None:
        return None
    if rule.kind == "timeout":
        request.app[FAILURES_KEY].delays[id(request)] = (
            1.0 if rule.delay_s is None else rule.delay_s
        )
        return None
    if rule.delay_s:
        request.app[FAILURES_KEY].delays[id(request)] = rule.delay_s
    return rule


@web.middleware
async def delay_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hold back the answer of a request a ``timeout`` rule matched."""
    try:
        response = await handler(request)
    finally:
        # Keyed by the live request's id: popped before the request can be collected.
        delay = request.app[FAILURES_KEY].delays.pop(id(request), 0.0)
    if delay > 0:
        await asyncio.sleep(delay)
    return response


async def health(_request: web.Request) -> web.Response:
    """``GET /_sandbox/health``: the simulator is up."""
    return web.json_response({"status": "ok"})


def run_simulator(app: web.Application, host: str, port: int, name: str) -> None:
    """Serve a simulator in the foreground until SIGINT/SIGTERM."""
    log.info("%s simulator listening on http://%s:%d", name, host, port)
    web.run_app(app, host=host, port=port, access_log=None, print=None)
