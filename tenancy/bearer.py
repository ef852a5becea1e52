"""Bearer JWTs: verified with one pinned algorithm and a key from configuration.

The algorithm is fixed by configuration (never read from the token header), which rules out
the ``alg: none`` and RS256-to-HS256 key-confusion attacks. ``exp`` is required; ``nbf``,
``iss`` and ``aud`` are checked (the last two when configured).

Admin and tenant tokens are verified apart (:func:`admin_jwt_settings`): admin tokens with
their own key (``WAGEN_ADMIN_JWT_*``) and a required audience, so neither a tenant token nor
whoever can mint tenant tokens (a tenant-facing identity provider) reaches the admin API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from tenancy.errors import AuthenticationError
from tenancy.settings import AdminSettings, JwtSettings


@dataclass(frozen=True)
class Claims:
    """What wagen reads from a verified token."""

    subject: str | None
    tenant_id: str | None
    roles: frozenset[str]


class JwtVerifier:
    """Verifies tokens against the configured secret, PEM public key or JWKS file."""

    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings
        self._key: Any = None
        self._jwks: jwt.PyJWKSet | None = None
        if settings.algorithm == "HS256" and settings.secret is not None:
            self._key = settings.secret.get_secret_value()
        elif settings.algorithm == "RS256" and settings.public_key_file is not None:
            self._key = settings.public_key_file.read_text(encoding="utf-8")
        elif settings.algorithm == "RS256" and settings.jwks_file is not None:
            self._jwks = jwt.PyJWKSet.from_json(settings.jwks_file.read_text(encoding="utf-8"))

    @property
    def enabled(self) -> bool:
        """Whether a key is configured for the pinned algorithm."""
        return self._key is not None or self._jwks is not None

    def _signing_key(self, token: str) -> Any:
        if self._jwks is None:
            return self._key
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._jwks.keys:
            if key.key_id == kid:
                return key.key
        raise AuthenticationError("token signed with an unknown key")

    def verify(self, token: str) -> Claims:
        """The token's claims, or ``AuthenticationError`` saying why it was refused."""
        if not self.enabled:
            raise AuthenticationError("bearer tokens are not accepted here (no JWT key set)")
        s = self._settings
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                self._signing_key(token),
                algorithms=[s.algorithm],
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_s,
                options={
                    "require": [
                        "exp",
                        *(["iss"] if s.issuer else []),
                        *(["aud"] if s.audience else []),
                    ],
                    "verify_aud": s.audience is not None,
                },
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid bearer token: {exc}") from None
        roles = payload.get(s.role_claim, [])
        if isinstance(roles, str):
            roles = roles.split()
        tenant = payload.get(s.tenant_claim)
        subject = payload.get("sub")
        return Claims(
            subject=subject if isinstance(subject, str) else None,
            tenant_id=tenant if isinstance(tenant, str) else None,
            roles=frozenset(r for r in roles if isinstance(r, str))
            if isinstance(roles, list)
            else frozenset(),
        )


def admin_jwt_settings(admin: AdminSettings, tenant: JwtSettings) -> JwtSettings:
    """How admin JWTs are verified: the admin key and audience, the shared claim names."""
    return JwtSettings(
        algorithm=admin.jwt_algorithm,
        secret=admin.jwt_secret,
        public_key_file=admin.jwt_public_key_file,
        jwks_file=admin.jwt_jwks_file,
        issuer=admin.jwt_issuer,
        audience=admin.jwt_audience,
        role_claim=tenant.role_claim,
        leeway_s=tenant.leeway_s,
    )
