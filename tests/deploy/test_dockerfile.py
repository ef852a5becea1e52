"""The Dockerfile, read statically (no Docker engine here): its stages, user, entry point,
health check and build context agree with the code they package and with deploy/k8s."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
from pydantic import BaseModel, SecretStr

from pipeline.cli import cli
from pipeline.gateway.app import create_app
from pipeline.metrics.http import metrics_app
from pipeline.settings import WagenSettings
from tests.conftest import REPO_ROOT
from tests.deploy.manifests import (
    ALL_INTERFACES,
    DOCKERIGNORE,
    Instruction,
    containers,
    dockerfile_instructions,
    final_stage,
    pod_templates,
    stage_instructions,
)

_PACKAGES = ("schemas", "connectors", "tenancy", "pipeline")


def _one(stage: str, keyword: str) -> Instruction:
    found = [i for i in stage_instructions(stage) if i.keyword == keyword]
    assert len(found) == 1, f"{len(found)} {keyword} instructions in stage {stage}"
    return found[0]


def _runtime_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage_instructions(final_stage()):
        if instruction.keyword == "ENV":
            env |= instruction.env_pairs()
    return env


def secret_setting_names() -> set[str]:
    """WAGEN_* names of the settings typed SecretStr: never baked into an image or ConfigMap."""
    names: set[str] = set()
    for section_name, section_field in WagenSettings.model_fields.items():
        section = section_field.default
        if not isinstance(section, BaseModel):
            continue
        for name, field in type(section).model_fields.items():
            if SecretStr in (field.annotation, *getattr(field.annotation, "__args__", ())):
                names.add(f"WAGEN_{section_name}_{name}".upper())
    return names


def metrics_listener_paths() -> set[str]:
    """Paths the metrics listener (of the gateway and the worker) serves with GET."""
    return {
        resource.canonical
        for resource in metrics_app().router.resources()
        for route in resource
        if route.method == "GET"
    }


def gateway_get_paths() -> set[str]:
    """Paths the gateway serves with GET, from the app itself (not started: no I/O)."""
    app = create_app(WagenSettings())
    return {
        resource.canonical
        for resource in app.router.resources()
        for route in resource
        if route.method == "GET"
    }


def test_two_stages_on_the_same_slim_python() -> None:
    first = dockerfile_instructions()[0]
    assert first.keyword == "ARG"
    assert first.env_pairs() == {"PYTHON_IMAGE": "python:3.11-slim"}
    froms = [i.args for i in dockerfile_instructions() if i.keyword == "FROM"]
    # The venv's interpreter is a symlink into the base image: both stages must share it.
    assert froms == ["${PYTHON_IMAGE} AS builder", "${PYTHON_IMAGE} AS runtime"]
    assert final_stage() == "runtime"


def test_runtime_gets_only_the_venv_from_the_builder() -> None:
    copies = [i.args for i in stage_instructions("runtime") if i.keyword in {"COPY", "ADD"}]
    assert copies == ["--from=builder /opt/venv /opt/venv"]
    install = " ".join(i.args for i in stage_instructions("builder") if i.keyword == "RUN")
    # Runtime dependencies only: no dev extra, no editable install pointing at /src.
    assert "pip install ." in install
    assert "[dev]" not in install
    assert " -e " not in install


def test_runs_as_a_fixed_non_root_uid_that_the_pods_require() -> None:
    uid, _, gid = _one("runtime", "USER").args.partition(":")
    assert uid.isdigit()
    assert int(uid) >= 1000
    assert gid == uid
    for workload, template in pod_templates():
        pod = template["spec"]["securityContext"]
        assert (pod["runAsUser"], pod["runAsGroup"]) == (int(uid), int(gid)), workload
        assert pod["runAsNonRoot"] is True, workload


def test_one_image_for_gateway_worker_and_cli() -> None:
    assert _one("runtime", "ENTRYPOINT").exec_form() == ["wagen"]
    assert _one("runtime", "CMD").exec_form() == ["gateway"]
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "wagen" in scripts
    assert isinstance(cli, click.Group)
    # Every command the deploy files run in this image exists in the CLI.
    for workload, template in pod_templates():
        for container in containers(template):
            group: click.Command = cli
            for word in container["args"]:
                assert isinstance(group, click.Group), f"{workload}: {container['args']}"
                found = group.get_command(click.Context(group), word)
                assert found is not None, f"{workload}: no `wagen {word}`"
                group = found


def test_processes_listen_beyond_loopback_on_the_exposed_ports() -> None:
    env = _runtime_env()
    hosts = ("WAGEN_GATEWAY_HOST", "WAGEN_GATEWAY_METRICS_HOST", "WAGEN_WORKER_METRICS_HOST")
    assert {env[name] for name in hosts} == {ALL_INTERFACES}
    exposed = _one("runtime", "EXPOSE").args.split()
    ports = ("WAGEN_GATEWAY_PORT", "WAGEN_WORKER_METRICS_PORT", "WAGEN_GATEWAY_METRICS_PORT")
    assert exposed == [env[name] for name in ports]


def _healthcheck_code() -> str:
    healthcheck = _one("runtime", "HEALTHCHECK")
    options, _, command = healthcheck.args.partition(" CMD ")
    assert re.fullmatch(r"(--[a-z-]+=\S+ ?)+", options.strip())
    argv = Instruction("CMD", command, "runtime").exec_form()
    assert argv[:2] == ["python", "-c"]
    assert argv[2].count("'/proc/1/cmdline'") == 1
    return argv[2]


class _Probe(BaseHTTPRequestHandler):
    """Answers like the gateway and the worker: 200 on their liveness paths, else 404."""

    status = 200

    def do_GET(self) -> None:
        served = self.path in {"/healthz", "/metrics"}
        self.send_response(self.status if served else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def probe_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Probe)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("argv", "status", "healthy"),
    [
        (["wagen", "gateway"], 200, True),
        (["wagen", "gateway"], 503, False),
        (["wagen", "worker"], 200, True),
        (["wagen", "worker"], 500, False),
        # A CLI container (no HTTP server) passes without a request.
        (["wagen", "db", "migrate"], 503, True),
    ],
)
def test_healthcheck_probes_the_role_of_the_container(
    tmp_path: Path,
    probe_server: ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    status: int,
    healthy: bool,
) -> None:
    """Runs the HEALTHCHECK's own Python, with PID 1's cmdline replaced by a file."""
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"\0".join(a.encode() for a in ["/opt/venv/bin/python", *argv]) + b"\0")
    code = _healthcheck_code().replace("'/proc/1/cmdline'", repr(str(cmdline)))
    monkeypatch.setattr(_Probe, "status", status)
    port = str(probe_server.server_address[1])
    env = {
        "PATH": os.environ["PATH"],
        "WAGEN_GATEWAY_PORT": port,
        "WAGEN_WORKER_METRICS_PORT": port,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, timeout=30, check=False
    )
    assert (done.returncode == 0) == healthy, done.stderr


def test_healthcheck_paths_are_served_by_the_processes() -> None:
    code = _healthcheck_code()
    assert re.findall(r"'(/[a-z]+)'", code) == ["/healthz", "/healthz"]
    assert "/healthz" in gateway_get_paths()
    # The worker's metrics listener serves /healthz (open) beside /metrics (maybe a token).
    assert "/healthz" in metrics_listener_paths()
    assert "WAGEN_GATEWAY_PORT" in code
    assert "WAGEN_WORKER_METRICS_PORT" in code


def test_no_secret_setting_is_baked_into_the_image() -> None:
    secrets = secret_setting_names()
    assert {"WAGEN_POSTGRES_DSN", "WAGEN_VAULT_TOKEN", "WAGEN_ADMIN_TOKEN"} <= secrets
    baked: set[str] = set()
    for instruction in dockerfile_instructions():
        if instruction.keyword in {"ENV", "ARG"}:
            baked |= set(instruction.env_pairs())
    assert not baked & secrets


# --- build context ----------------------------------------------------------------------------


def _dockerignore_patterns() -> list[tuple[bool, str]]:
    patterns = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            patterns.append((negated, line.lstrip("!").rstrip("/")))
    return patterns


def _matches(pattern: str, path: str) -> bool:
    # A pattern matches a path or any directory above it; `**/` matches any depth.
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    if pattern.startswith("**/"):
        return any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts)
    return any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates)


def in_build_context(path: str) -> bool:
    """Whether Docker sends ``path`` (relative to the repo) with the build context."""
    included = True
    for negated, pattern in _dockerignore_patterns():
        if _matches(pattern, path):
            included = negated
    return included


def test_build_context_holds_what_the_builder_copies_and_nothing_private() -> None:
    sources = [
        word
        for i in stage_instructions("builder")
        if i.keyword == "COPY"
        for word in i.args.split()[:-1]
    ]
    assert set(sources) == {"pyproject.toml", "README.md", *_PACKAGES}
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
        assert in_build_context(source), source
    assert in_build_context("tenancy/db/migrations/0001_base.sql")
    private = (
        ".venv/bin/python",
        ".stack/openbao/token",
        ".git/config",
        "tests/conftest.py",
        "wagen-data/x",
        "pipeline/__pycache__/x.pyc",
        "deploy/local/stack",
    )
    for path in private:
        assert not in_build_context(path), path


def test_every_data_file_of_the_packages_is_declared_package_data() -> None:
    """A file the code reads at run time (the SQL migrations) must reach the wheel."""
    tool = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    include = tool["packages"]["find"]["include"]
    package_data: dict[str, list[str]] = tool["package-data"]
    data_files = [
        path
        for package in _PACKAGES
        for path in (REPO_ROOT / package).rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]
    assert any(p.suffix == ".sql" for p in data_files)
    for path in data_files:
        owner = next(d for d in path.parents if (d / "__init__.py").exists())
        dotted = ".".join(owner.relative_to(REPO_ROOT).parts)
        assert any(fnmatch.fnmatchcase(dotted, pattern) for pattern in include), dotted
        relative = str(path.relative_to(owner))
        patterns = package_data.get(dotted, [])
        assert any(fnmatch.fnmatchcase(relative, p) for p in patterns), f"{path} not packaged"
