"""Settings: env names, validation, secrets kept out of reprs, README kept in sync."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from pipeline.cli.settings_doc import settings_rows, settings_table
from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT


def test_defaults_point_at_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("WAGEN_")]:
        monkeypatch.delenv(name)
    settings = WagenSettings()
    assert settings.kafka.servers == ["127.0.0.1:9092"]
    assert settings.postgres.dsn_for_logs == "postgresql://wagen:***@127.0.0.1:5432/wagen"
    assert settings.redis.url.get_secret_value() == "redis://127.0.0.1:6379/0"
    assert settings.vault.url == "http://127.0.0.1:8200"
    assert (settings.gateway.host, settings.gateway.port) == ("127.0.0.1", 8080)


def test_nested_env_names_split_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAGEN_GATEWAY_PORT", "9001")
    monkeypatch.setenv("WAGEN_GATEWAY_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("WAGEN_KAFKA_BOOTSTRAP_SERVERS", "k1:9092, k2:9092")
    monkeypatch.setenv("WAGEN_LOG_JSON_LINES", "true")
    settings = WagenSettings()
    assert settings.gateway.port == 9001
    assert settings.gateway.max_body_bytes == 2048
    assert settings.kafka.servers == ["k1:9092", "k2:9092"]
    assert settings.log.json_lines is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WAGEN_POSTGRES_DSN", "mysql://u:p@h/db"),
        ("WAGEN_REDIS_URL", "http://127.0.0.1:6379"),
        ("WAGEN_GATEWAY_PORT", "70000"),
        ("WAGEN_LOG_LEVEL", "CHATTY"),
    ],
)
def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        WagenSettings()


def test_secrets_stay_out_of_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAGEN_POSTGRES_DSN", "postgresql://app:hunter2@db:5432/wagen")
    monkeypatch.setenv("WAGEN_VAULT_TOKEN", "s.topsecret")
    monkeypatch.setenv("WAGEN_REDIS_URL", "redis://:redispass@cache:6379/0")
    settings = WagenSettings()
    text = repr(settings) + str(settings)
    for secret in ("hunter2", "s.topsecret", "redispass"):
        assert secret not in text
    assert settings.redis.url_for_logs == "redis://***@cache:6379/0"


def test_every_setting_is_documented_in_the_readme() -> None:
    rows = settings_rows()
    assert len(rows) >= 20
    assert all(description for _, _, description in rows)
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, "README settings table is stale: paste `wagen settings`"
