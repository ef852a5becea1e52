"""Every WAGEN_* name in the deployment files and the runbook is a real setting, and the
values they give parse: a renamed or retyped setting fails here, not in a cluster."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.cli.settings_doc import settings_rows
from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT
from tests.deploy.manifests import (
    ALL_INTERFACES,
    COMPOSE_FILE,
    DOCKERFILE,
    K8S_DIR,
    OPERATIONS_DOC,
    compose_resolved,
    config_map_env,
    dockerfile_instructions,
    secret_example,
    service_env,
)

_NAME = re.compile(r"\bWAGEN_[A-Z0-9_]*[A-Z0-9]\b")
# Variables that are not settings of the processes: the local stack script's own
# (deploy/local/stack) and the test suite's switch. Anything else must be a setting.
_NOT_SETTINGS = re.compile(r"^WAGEN_(STACK_[A-Z_]+|REQUIRE_STACK)$")

_FILES = [DOCKERFILE, COMPOSE_FILE, *sorted(K8S_DIR.glob("*.yaml")), OPERATIONS_DOC]


def setting_names() -> set[str]:
    """The environment name of every setting (what `wagen settings` prints)."""
    return {name for name, _, _ in settings_rows()}


def unknown_names(text: str) -> set[str]:
    """WAGEN_* names in ``text`` that are no setting (and not the stack's own variables)."""
    used = set(_NAME.findall(text))
    return {n for n in used - setting_names() if not _NOT_SETTINGS.match(n)}


@pytest.mark.parametrize("path", _FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_wagen_name_is_a_setting(path: Path) -> None:
    assert unknown_names(path.read_text()) == set(), f"{path.name} names unknown settings"


def test_the_deploy_files_name_settings_at_all() -> None:
    used = set().union(*(_NAME.findall(p.read_text()) for p in _FILES[:-1]))
    assert {"WAGEN_KAFKA_BOOTSTRAP_SERVERS", "WAGEN_WORKER_APP_ID"} <= used


def _settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> WagenSettings:
    for name in [n for n in os.environ if n.startswith("WAGEN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return WagenSettings()


def test_kubernetes_config_and_secret_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**config_map_env(), **secret_example()["stringData"]}
    settings = _settings_from(env, monkeypatch)
    assert settings.worker.app_id == env["WAGEN_WORKER_APP_ID"]
    assert settings.kafka.replication_factor >= 3  # production: survive a broker loss
    assert settings.kafka.min_insync_replicas == settings.kafka.replication_factor - 1
    assert settings.log.json_lines is True


@pytest.mark.parametrize("service", ["migrate", "gateway", "worker"])
def test_compose_environment_parses(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = service_env(compose_resolved()["services"][service])
    settings = _settings_from(env, monkeypatch)
    assert settings.kafka.servers == ["kafka:9092"]


def test_image_environment_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    env: dict[str, str] = {}
    for instruction in dockerfile_instructions():
        if instruction.keyword == "ENV":
            env |= {k: v for k, v in instruction.env_pairs().items() if k.startswith("WAGEN_")}
    settings = _settings_from(env, monkeypatch)
    assert settings.gateway.host == ALL_INTERFACES


def test_a_misspelt_name_or_a_bad_value_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "WAGEN_GATEWAY_PORTS: 1\nWAGEN_STACK_DIR: x\nWAGEN_GATEWAY_PORT: 2\n"
    assert unknown_names(text) == {"WAGEN_GATEWAY_PORTS"}
    with pytest.raises(ValidationError):
        _settings_from({"WAGEN_GATEWAY_PORT": "not-a-port"}, monkeypatch)
