"""Console sessions: a random id in an HttpOnly cookie, the facts behind it in Redis.

The cookie holds 256 random bits and nothing else; Redis holds who signed in (never the
credential itself), the session's CSRF token and its end, under the SHA-256 of the id, so
a Redis dump alone cannot be replayed as a cookie. Sessions are short and never renewed:
after ``WAGEN_CONSOLE_SESSION_TTL_S`` (or a JWT's own expiry, when sooner) the user signs in
again. Sign-out deletes the entry, so a copied cookie stops working at once. Redis holds only
rebuildable state: a flush signs everyone out, nothing worse.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Literal

from redis.asyncio import Redis

COOKIE = "wagen_console"
"""The session cookie's name."""

_ID_BYTES = 32


@dataclass(frozen=True)
class SignedIn:
    """Who a credential turned out to be, as the session remembers it.

    Attributes:
        kind: ``admin`` (an operator) or ``tenant`` (a user of one tenant).
        actor: the audit label of the credential (``admin:token``, ``tenant:acme:key:<prefix>``).
        tenant_id: the tenant of a tenant user.
        key_prefix: an API key's public prefix: the session ends when the key is revoked.
        admin_token_digest: the bootstrap token's digest: the session ends when it changes.
        expires_at: the credential's own end (a JWT's ``exp``), if it has one.
    """

    kind: Literal["admin", "tenant"]
    actor: str
    tenant_id: str | None = None
    key_prefix: str | None = None
    admin_token_digest: str | None = None
    expires_at: float | None = None


@dataclass(frozen=True)
class Session:
    """A live session."""

    who: SignedIn
    csrf: str
    expires_at: float

    @property
    def operator(self) -> bool:
        """An operator (admin token or admin JWT), who sees every tenant."""
        return self.who.kind == "admin"


def _key(prefix: str, session_id: str) -> str:
    return f"{prefix}console:session:{hashlib.sha256(session_id.encode()).hexdigest()}"


class SessionStore:
    """Creates, reads and ends sessions in Redis."""

    def __init__(self, redis: Redis, *, key_prefix: str, ttl_s: float) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._ttl_s = ttl_s

    async def create(self, who: SignedIn) -> tuple[str, Session]:
        """A new session for ``who``: the cookie value (shown to the browser only) and it."""
        now = time.time()
        end = now + self._ttl_s
        if who.expires_at is not None:
            end = min(end, who.expires_at)
        session = Session(who=who, csrf=secrets.token_urlsafe(32), expires_at=end)
        session_id = secrets.token_urlsafe(_ID_BYTES)
        value = json.dumps({"who": asdict(who), "csrf": session.csrf, "expires_at": end})
        await self._redis.set(
            _key(self._prefix, session_id), value, px=max(1, int((end - now) * 1000))
        )
        return session_id, session

    async def load(self, session_id: str | None) -> Session | None:
        """The session a cookie names, or None (unknown, ended, expired, malformed)."""
        if not session_id or len(session_id) > 100:
            return None
        raw = await self._redis.get(_key(self._prefix, session_id))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            session = Session(
                who=SignedIn(**data["who"]),
                csrf=str(data["csrf"]),
                expires_at=float(data["expires_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires_at > time.time() else None

    async def end(self, session_id: str | None) -> None:
        """Sign out: the cookie names nothing from now on."""
        if session_id and len(session_id) <= 100:
            await self._redis.delete(_key(self._prefix, session_id))

    @property
    def ttl_s(self) -> float:
        """How long a new session lasts at most."""
        return self._ttl_s
