"""Reads wagen's deployment files (Dockerfile, Compose, Kubernetes) for the static checks.

Nothing here runs Docker or talks to a cluster: the development machine has neither, so the
deploy tests parse the files and compare them with the code they deploy.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
COMPOSE_FILE = REPO_ROOT / "deploy" / "compose" / "compose.yaml"
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
OPERATIONS_DOC = REPO_ROOT / "docs" / "operations.md"

Manifest = dict[str, Any]

ALL_INTERFACES = "0.0.0.0"  # noqa: S104  (in a container, probes and scrapes come from outside)


def load_documents(path: Path) -> list[Manifest]:
    """Every non-empty YAML document of ``path`` (each must be a mapping)."""
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict):
            raise TypeError(f"{path}: a document is a {type(doc).__name__}, not a mapping")
    return docs


def load_one(path: Path) -> Manifest:
    """The single YAML document of ``path``."""
    docs = load_documents(path)
    if len(docs) != 1:
        raise ValueError(f"{path}: {len(docs)} documents, expected one")
    return docs[0]


def yaml_files() -> list[Path]:
    """Every YAML file under deploy/compose and deploy/k8s."""
    roots = (COMPOSE_FILE.parent, K8S_DIR)
    return sorted(p for root in roots for p in root.rglob("*") if p.suffix in {".yaml", ".yml"})


# --- Kubernetes -------------------------------------------------------------------------------


@cache
def kustomization() -> Manifest:
    """deploy/k8s/kustomization.yaml."""
    return load_one(K8S_DIR / "kustomization.yaml")


@cache
def k8s_objects() -> tuple[tuple[Path, Manifest], ...]:
    """(file, object) for every object of every file kustomization.yaml lists."""
    found: list[tuple[Path, Manifest]] = []
    for name in kustomization()["resources"]:
        path = K8S_DIR / name
        found.extend((path, doc) for doc in load_documents(path))
    return tuple(found)


def k8s_object(kind: str, name: str) -> Manifest:
    """The listed object of that kind and name."""
    matches = [o for _, o in k8s_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    if len(matches) != 1:
        raise LookupError(f"{len(matches)} {kind} objects named {name!r} in deploy/k8s")
    return matches[0]


def pod_templates() -> Iterator[tuple[str, Manifest]]:
    """(``Kind/name``, pod template) of every workload in deploy/k8s."""
    for _, obj in k8s_objects():
        if obj["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
            yield f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]


def containers(template: Manifest) -> list[Manifest]:
    """Init containers and containers of a pod template."""
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def config_map_env() -> dict[str, str]:
    """The WAGEN_* settings the ConfigMap gives every wagen pod."""
    data = k8s_object("ConfigMap", "wagen-config")["data"]
    return {str(k): str(v) for k, v in data.items()}


def secret_example() -> Manifest:
    """secret.example.yaml: the Secret's keys, with placeholder values."""
    return load_one(K8S_DIR / "secret.example.yaml")


def schema(name: str) -> dict[str, Any]:
    """A vendored JSON Schema of tests/deploy/schemas/ (YAML, with its source in comments)."""
    return load_one(SCHEMAS_DIR / name)


# --- Compose ----------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\})")


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's ``${VAR}`` / ``${VAR:-default}`` / ``$$`` interpolation, applied to values."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name = match["name"]
        if name is None:
            return "$"
        if env.get(name):
            return env[name]
        if match["default"] is None:
            raise KeyError(f"compose variable {name} is unset and has no default")
        return str(match["default"])

    return _VARIABLE.sub(substitute, value)


@cache
def compose_raw() -> Manifest:
    """compose.yaml as written (anchors and merge keys resolved by the YAML loader)."""
    return load_one(COMPOSE_FILE)


def compose_resolved() -> Manifest:
    """compose.yaml after interpolation with every variable at its default."""
    resolved = interpolate(compose_raw(), {})
    assert isinstance(resolved, dict)
    return resolved


def service_env(service: Manifest) -> dict[str, str]:
    """A Compose service's environment as a mapping (either syntax)."""
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(str(item).partition("=")[::2] for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


# --- Dockerfile -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined, with the stage it belongs to."""

    keyword: str
    args: str
    stage: str | None

    def exec_form(self) -> list[str]:
        """The JSON (exec) form of ENTRYPOINT/CMD/RUN arguments."""
        parsed = json.loads(self.args)
        if not (isinstance(parsed, list) and all(isinstance(a, str) for a in parsed)):
            raise ValueError(f"{self.keyword} is not in exec form: {self.args}")
        return parsed

    def env_pairs(self) -> dict[str, str]:
        """``ENV k=v k2=v2`` (or ``ARG k=v``) as a mapping."""
        return dict(token.partition("=")[::2] for token in shlex.split(self.args))


@cache
def dockerfile_instructions() -> tuple[Instruction, ...]:
    """The Dockerfile's instructions in order; comment lines dropped as Docker drops them."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    if pending:
        raise ValueError("Dockerfile ends inside a continued line")
    instructions: list[Instruction] = []
    stage: str | None = None
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = args.split()
            stage = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
        instructions.append(Instruction(keyword, args.strip(), stage))
    return tuple(instructions)


def stage_instructions(stage: str) -> list[Instruction]:
    """Instructions of one named build stage."""
    return [i for i in dockerfile_instructions() if i.stage == stage]


def final_stage() -> str:
    """Name of the last stage: the image that is shipped."""
    last = dockerfile_instructions()[-1].stage
    if last is None:
        raise ValueError("the final Dockerfile stage has no name")
    return last
