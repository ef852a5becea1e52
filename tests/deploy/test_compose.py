"""deploy/compose/compose.yaml against the Compose Specification and against wagen itself.

No Docker engine here: the file is validated with the Compose Specification's JSON Schema
(the copy check-jsonschema ships as its ``vendor.compose-spec`` builtin), before and after
interpolation, and its wiring is compared with the code: ports, routes, commands, addresses.
"""

from __future__ import annotations

import json
import re
import shlex
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import click
import jsonschema
import pytest

from pipeline.cli import cli
from tests.conftest import REPO_ROOT
from tests.deploy.manifests import (
    ALL_INTERFACES,
    COMPOSE_FILE,
    compose_raw,
    compose_resolved,
    service_env,
)
from tests.deploy.test_dockerfile import gateway_get_paths, metrics_listener_paths

_WAGEN_SERVICES = ("migrate", "gateway", "worker")


@cache
def compose_spec() -> dict[str, Any]:
    """The Compose Specification schema shipped in the check-jsonschema wheel."""
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    loaded: dict[str, Any] = json.loads((vendor / "compose-spec.json").read_text())
    return loaded


def _errors(document: dict[str, Any]) -> list[str]:
    schema = compose_spec()
    # Older wheels declare draft-07 as "https://json-schema.org/draft-07/schema", a spelling
    # jsonschema's lookup does not know; newer ones declare 2020-12. The draft is picked here.
    drafts: dict[str, type[jsonschema.protocols.Validator]] = {
        "draft-07": jsonschema.Draft7Validator,
        "2020-12": jsonschema.Draft202012Validator,
    }
    [cls] = [cls for marker, cls in drafts.items() if marker in schema["$schema"]]
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def _services() -> dict[str, Any]:
    services: dict[str, Any] = compose_resolved()["services"]
    return services


def _healthcheck_url(service: dict[str, Any]) -> str:
    test = " ".join(service["healthcheck"]["test"])
    urls = re.findall(r"'(http://[^']+)'", test)
    assert len(urls) == 1, test
    return str(urls[0])


def test_the_schema_is_the_compose_specification() -> None:
    assert compose_spec()["$id"] == "compose_spec.json"
    assert _errors({"services": {"x": {"image": "y", "bogus": 1}}}), "schema rejects nothing"


@pytest.mark.parametrize("stage", ["as written", "interpolated"])
def test_valid_against_the_compose_specification(stage: str) -> None:
    document = compose_raw() if stage == "as written" else compose_resolved()
    assert _errors(document) == []


def test_the_stack_and_its_start_order() -> None:
    services = _services()
    assert set(services) == {"kafka", "postgres", "redis", "vault", *_WAGEN_SERVICES}
    conditions = {
        name: {dep: spec["condition"] for dep, spec in service.get("depends_on", {}).items()}
        for name, service in services.items()
    }
    assert conditions["migrate"] == {"kafka": "service_healthy", "postgres": "service_healthy"}
    for name in ("gateway", "worker"):
        assert conditions[name] == {
            "migrate": "service_completed_successfully",
            "redis": "service_healthy",
            "vault": "service_healthy",
        }
    for name, service in services.items():
        # The one-shot migrate is judged by its exit code; everything else has a health check.
        has_check = "healthcheck" in service and not service["healthcheck"].get("disable")
        assert has_check == (name != "migrate"), name
    assert services["migrate"]["restart"] == "no"


def test_migrate_runs_the_migrations_then_the_topics() -> None:
    migrate = _services()["migrate"]
    assert migrate["entrypoint"] == ["/bin/sh", "-c"]
    (script,) = migrate["command"]
    steps = [shlex.split(step) for step in script.split("&&")]
    assert steps == [["wagen", "db", "migrate"], ["wagen", "topics", "ensure"]]
    for _, *words in steps:
        command: click.Command = cli
        for word in words:
            assert isinstance(command, click.Group), words
            found = command.get_command(click.Context(command), word)
            assert found is not None, words
            command = found


def test_wagen_services_are_built_from_the_repository_dockerfile() -> None:
    for name in _WAGEN_SERVICES:
        build = _services()[name]["build"]
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert context == REPO_ROOT, name
        assert (context / build["dockerfile"]).is_file(), name
    assert {_services()[n]["command"][0] for n in ("gateway", "worker")} == {"gateway", "worker"}


def test_gateway_port_and_health_check_match_its_routes() -> None:
    gateway = _services()["gateway"]
    env = service_env(gateway)
    (mapping,) = gateway["ports"]
    assert mapping.rpartition(":")[2] == env["WAGEN_GATEWAY_PORT"]
    assert env["WAGEN_GATEWAY_HOST"] == ALL_INTERFACES
    url = urlsplit(_healthcheck_url(gateway))
    assert str(url.port) == env["WAGEN_GATEWAY_PORT"]
    assert url.path in gateway_get_paths()


def test_worker_health_check_hits_its_metrics_endpoint() -> None:
    worker = _services()["worker"]
    env = service_env(worker)
    url = urlsplit(_healthcheck_url(worker))
    assert (str(url.port), url.path) == (env["WAGEN_WORKER_METRICS_PORT"], "/healthz")
    assert url.path in metrics_listener_paths()
    assert env["WAGEN_WORKER_METRICS_HOST"] == ALL_INTERFACES


def test_wagen_reaches_each_store_where_compose_puts_it() -> None:
    services = _services()
    kafka = service_env(services["kafka"])
    postgres_init = (COMPOSE_FILE.parent / "postgres-init.sql").read_text()
    vault_args = services["vault"]["command"]
    for name in _WAGEN_SERVICES:
        env = service_env(services[name])
        assert kafka["KAFKA_ADVERTISED_LISTENERS"] == (
            f"PLAINTEXT://{env['WAGEN_KAFKA_BOOTSTRAP_SERVERS']}"
        )
        dsn = urlsplit(env["WAGEN_POSTGRES_DSN"])
        assert dsn.hostname in services
        # The role wagen logs in as is made by the init script, without RLS bypass.
        role = re.search(
            rf"CREATE ROLE {dsn.username} LOGIN PASSWORD '([^']*)'([^;]*);", postgres_init
        )
        assert role is not None
        assert role[1] == dsn.password
        assert "NOSUPERUSER" in role[2]
        assert "NOBYPASSRLS" in role[2]
        assert f"CREATE DATABASE {dsn.path.lstrip('/')} OWNER {dsn.username};" in postgres_init
        assert urlsplit(env["WAGEN_REDIS_URL"]).hostname in services
        vault = urlsplit(env["WAGEN_VAULT_URL"])
        assert vault.hostname in services
        assert f"-dev-listen-address=0.0.0.0:{vault.port}" in vault_args
        assert f"-dev-root-token-id={env['WAGEN_VAULT_TOKEN']}" in vault_args


def test_kafka_is_the_local_stacks_version_with_topic_auto_creation_off() -> None:
    pom = (REPO_ROOT / "deploy" / "local" / "kafka" / "pom.xml").read_text()
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert version
    kafka = _services()["kafka"]
    assert kafka["image"] == f"apache/kafka:{version[1]}"
    assert service_env(kafka)["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
