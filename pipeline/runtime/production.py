"""What a gateway or worker refuses to start with outside development: the built-in dev secrets
and secrets too short to resist guessing.

The defaults of the secret settings are the local stack's (so ``make run`` works with nothing
set), and they are public: anyone who read this repository could sign media links for any
tenant (``WAGEN_MEDIA_LINK_SECRET``), test guesses against a stolen key-hash dump
(``WAGEN_TENANCY_KEY_PEPPER``) or talk to a dev Vault (``WAGEN_VAULT_TOKEN``). A process is in
development only when told so (``WAGEN_ENVIRONMENT=development``, or sandbox mode), so a
deployment that forgets a setting fails at start, one line per offending setting, instead of
running open.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Final
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from pipeline.settings import MediaSettings, WagenSettings
from tenancy.settings import TenancySettings, VaultSettings

MIN_SECRET_CHARS: Final = 32
"""Shortest secret of our own accepted in production (256 bits of base64 is 43 characters)."""

DEV_DATABASE_PASSWORD: Final = "wagen"  # noqa: S105  (the local stack's, refused here)
"""The local stack's PostgreSQL password (and Compose's): refused in a production DSN."""


def _default(section: type[BaseModel], name: str) -> str:
    default = section.model_fields[name].default
    assert isinstance(default, SecretStr)  # the dev value sits in the field's default
    return default.get_secret_value()


def _secrets_we_choose(settings: WagenSettings) -> Iterator[tuple[str, SecretStr | None]]:
    """Secrets the operator generates: each must be long enough (when set at all)."""
    yield "WAGEN_MEDIA_LINK_SECRET", settings.media.link_secret
    yield "WAGEN_TENANCY_KEY_PEPPER", settings.tenancy.key_pepper
    yield "WAGEN_ADMIN_TOKEN", settings.admin.token
    yield "WAGEN_METRICS_TOKEN", settings.metrics.token
    if settings.jwt.algorithm == "HS256":
        yield "WAGEN_JWT_SECRET", settings.jwt.secret
    if settings.admin.jwt_algorithm == "HS256":
        yield "WAGEN_ADMIN_JWT_SECRET", settings.admin.jwt_secret


def _built_in(settings: WagenSettings) -> Iterator[tuple[str, SecretStr, str]]:
    """Secrets whose default is a development value: (name, value, that default)."""
    yield (
        "WAGEN_MEDIA_LINK_SECRET",
        settings.media.link_secret,
        _default(MediaSettings, "link_secret"),
    )
    yield (
        "WAGEN_TENANCY_KEY_PEPPER",
        settings.tenancy.key_pepper,
        _default(TenancySettings, "key_pepper"),
    )
    yield "WAGEN_VAULT_TOKEN", settings.vault.token, _default(VaultSettings, "token")


def production_problems(settings: WagenSettings) -> list[str]:
    """One line per setting that makes ``settings`` unfit for production (empty: fit)."""
    if settings.development:
        return []
    problems: dict[str, str] = {}
    for name, value, dev_value in _built_in(settings):
        if value.get_secret_value() == dev_value:
            problems[name] = f"{name} is the built-in development value: set a secret of your own"
    for name, secret in _secrets_we_choose(settings):
        if name in problems or secret is None:
            continue
        length = len(secret.get_secret_value())
        if length < MIN_SECRET_CHARS:
            problems[name] = (
                f"{name} is {length} characters long: production needs at least "
                f"{MIN_SECRET_CHARS} (e.g. `openssl rand -base64 32`)"
            )
    admin_key, tenant_key = settings.admin.jwt_secret, settings.jwt.secret
    if (
        admin_key is not None
        and tenant_key is not None
        and hmac.compare_digest(admin_key.get_secret_value(), tenant_key.get_secret_value())
    ):
        name = "WAGEN_ADMIN_JWT_SECRET"
        problems[name] = (
            f"{name} equals WAGEN_JWT_SECRET: whoever mints tenant tokens could mint admin ones"
        )
    dsn = settings.postgres.dsn.get_secret_value()
    if urlsplit(dsn).password == DEV_DATABASE_PASSWORD:
        problems["WAGEN_POSTGRES_DSN"] = (
            "WAGEN_POSTGRES_DSN carries the local dev stack's password: use a role of your own"
        )
    return list(problems.values())
