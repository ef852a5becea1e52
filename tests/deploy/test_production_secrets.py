"""The deployment files and the production check agree: Kubernetes runs in production and its
placeholders cannot be deployed as they are; Compose (a laptop stack with dev passwords) says
it is development; the image decides neither."""

from __future__ import annotations

import os

import pytest

from pipeline.runtime.production import production_problems
from pipeline.settings import WagenSettings
from tests.deploy.manifests import (
    compose_resolved,
    config_map_env,
    dockerfile_instructions,
    secret_example,
    service_env,
)


def _settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> WagenSettings:
    for name in [n for n in os.environ if n.startswith("WAGEN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return WagenSettings()


def test_kubernetes_is_production_and_its_placeholders_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = config_map_env()
    assert "WAGEN_ENVIRONMENT" not in config  # production is the default
    placeholders = secret_example()["stringData"]
    settings = _settings_from({**config, **placeholders}, monkeypatch)
    assert settings.environment == "production"
    refused = {p.split(" ", 1)[0] for p in production_problems(settings)}
    # Every secret we choose ourselves is still the placeholder: too short to start.
    assert {"WAGEN_TENANCY_KEY_PEPPER", "WAGEN_MEDIA_LINK_SECRET", "WAGEN_ADMIN_TOKEN"} <= refused


def test_kubernetes_with_real_secrets_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        name: value.replace("REPLACE_ME", f"{name.lower()}-0123456789abcdef0123456789abcdef")
        for name, value in secret_example()["stringData"].items()
    }
    settings = _settings_from({**config_map_env(), **secrets}, monkeypatch)
    assert production_problems(settings) == []


@pytest.mark.parametrize("service", ["gateway", "worker"])
def test_compose_says_it_is_development(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = service_env(compose_resolved()["services"][service])
    assert env["WAGEN_ENVIRONMENT"] == "development"
    settings = _settings_from(env, monkeypatch)
    assert production_problems(settings) == []
    # Without the switch, the same file would be refused: its secrets are the dev ones.
    production = _settings_from({**env, "WAGEN_ENVIRONMENT": "production"}, monkeypatch)
    assert production_problems(production)


def test_the_image_leaves_the_environment_to_the_deployment() -> None:
    env: dict[str, str] = {}
    for instruction in dockerfile_instructions():
        if instruction.keyword == "ENV":
            env |= instruction.env_pairs()
    assert "WAGEN_ENVIRONMENT" not in env
