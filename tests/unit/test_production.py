"""Production refuses the built-in dev secrets and short secrets, one line per setting."""

from __future__ import annotations

import os

import pytest

from pipeline.runtime.production import MIN_SECRET_CHARS, production_problems
from pipeline.settings import WagenSettings

STRONG = "s" * MIN_SECRET_CHARS
FIT = {
    "WAGEN_ENVIRONMENT": "production",
    "WAGEN_MEDIA_LINK_SECRET": STRONG + "-media",
    "WAGEN_TENANCY_KEY_PEPPER": STRONG + "-pepper",
    "WAGEN_VAULT_TOKEN": "hvs.a-real-token",
    "WAGEN_POSTGRES_DSN": "postgresql://app:a-real-password@db:5432/wagen",
}


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> WagenSettings:
    for name in [n for n in os.environ if n.startswith("WAGEN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return WagenSettings()


def _named(problems: list[str]) -> list[str]:
    return [p.split(" ", 1)[0] for p in problems]


def test_production_is_the_default_and_refuses_every_built_in_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(monkeypatch)
    assert settings.environment == "production"
    assert not settings.development
    problems = production_problems(settings)
    assert _named(problems) == [
        "WAGEN_MEDIA_LINK_SECRET",
        "WAGEN_TENANCY_KEY_PEPPER",
        "WAGEN_VAULT_TOKEN",
        "WAGEN_POSTGRES_DSN",
    ]
    assert all("\n" not in p for p in problems)
    # The lines name settings, never the secret values themselves.
    assert not any("change-me" in p or "wagen-dev-root-token" in p for p in problems)


def test_real_secrets_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    assert production_problems(_settings(monkeypatch, **FIT)) == []


@pytest.mark.parametrize(
    "name",
    [
        "WAGEN_MEDIA_LINK_SECRET",
        "WAGEN_TENANCY_KEY_PEPPER",
        "WAGEN_ADMIN_TOKEN",
        "WAGEN_JWT_SECRET",
    ],
)
def test_a_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    short = "x" * (MIN_SECRET_CHARS - 1)
    problems = production_problems(_settings(monkeypatch, **{**FIT, name: short}))
    assert _named(problems) == [name]
    assert f"{MIN_SECRET_CHARS - 1} characters" in problems[0]
    assert short not in problems[0]


def test_one_key_for_admin_and_tenant_jwts_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = {"WAGEN_JWT_SECRET": STRONG + "-jwt", "WAGEN_ADMIN_JWT_SECRET": STRONG + "-jwt"}
    problems = production_problems(_settings(monkeypatch, **FIT, **shared))
    assert _named(problems) == ["WAGEN_ADMIN_JWT_SECRET"]
    assert "WAGEN_JWT_SECRET" in problems[0]


def test_the_dev_database_password_is_refused_on_any_host(monkeypatch: pytest.MonkeyPatch) -> None:
    compose_dsn = "postgresql://wagen:wagen@postgres:5432/wagen"
    problems = production_problems(
        _settings(monkeypatch, **{**FIT, "WAGEN_POSTGRES_DSN": compose_dsn})
    )
    assert _named(problems) == ["WAGEN_POSTGRES_DSN"]


@pytest.mark.parametrize(
    "env", [{"WAGEN_ENVIRONMENT": "development"}, {"WAGEN_SANDBOX": "1"}], ids=["dev", "sandbox"]
)
def test_development_and_sandbox_accept_the_dev_secrets(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    settings = _settings(monkeypatch, **env)
    assert settings.development
    assert production_problems(settings) == []
