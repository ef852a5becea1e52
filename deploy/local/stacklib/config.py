"""Where the stack keeps its state and which ports it binds, resolved from the environment."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import StackError

# deploy/local/, where the entry script and the Kafka config templates live.
HERE = Path(__file__).resolve().parents[1]
REPO_ROOT = HERE.parents[1]
HOST = "127.0.0.1"


def _env_port(name: str, default: int) -> int:
    """Read a port from the environment, so parallel checkouts can avoid each other."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise StackError(f"{name}={raw!r} is not a TCP port number: set it to 1..65535")
    return int(raw)


def _default_state_dir() -> Path:
    """``<repo>/.stack``, unless a parent dir is closed to other users (a 0700 checkout dir).

    PostgreSQL runs as the ``postgres`` OS user and must traverse to its data dir; rather
    than fail in such a checkout, keep the state in a per-checkout dir under /var/tmp.
    """
    local = REPO_ROOT / ".stack"
    if all(p.stat().st_mode & 0o001 for p in REPO_ROOT.parents if p.exists()) and (
        REPO_ROOT.stat().st_mode & 0o001
    ):
        return local
    digest = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:10]
    # A dev stack on a single-user machine; the dir is created by us, owner-only below it.
    return Path("/var/tmp") / f"wagen-stack-{digest}"  # noqa: S108


@dataclass(frozen=True)
class Config:
    """Paths and ports of one stack, resolved once from the environment."""

    state: Path
    kafka_port: int
    kafka_controller_port: int
    pg_port: int
    redis_port: int
    vault_port: int
    vault_token: str
    cluster_dir: Path
    cluster_port: int

    @classmethod
    def from_env(cls) -> Config:
        """Build the config from WAGEN_STACK_* / WAGEN_VAULT_TOKEN with the documented defaults."""
        explicit = os.environ.get("WAGEN_STACK_DIR")
        state = Path(explicit).absolute() if explicit else _default_state_dir()
        cluster = os.environ.get("WAGEN_STACK_CLUSTER_DIR")
        return cls(
            state=state,
            kafka_port=_env_port("WAGEN_STACK_KAFKA_PORT", 9092),
            kafka_controller_port=_env_port("WAGEN_STACK_KAFKA_CONTROLLER_PORT", 9093),
            pg_port=_env_port("WAGEN_STACK_PG_PORT", 5432),
            redis_port=_env_port("WAGEN_STACK_REDIS_PORT", 6379),
            vault_port=_env_port("WAGEN_STACK_VAULT_PORT", 8200),
            vault_token=os.environ.get("WAGEN_VAULT_TOKEN") or "wagen-dev-root-token",
            # The three-broker cluster keeps apart from the single broker: its own dir, pids,
            # logs and ports (brokers at the port and the next two, controllers after them).
            cluster_dir=Path(cluster).absolute() if cluster else state / "cluster",
            cluster_port=_env_port("WAGEN_STACK_CLUSTER_PORT", 9192),
        )

    @property
    def run_dir(self) -> Path:
        """Where our pid files live; a pid file is the only proof a process is ours."""
        return self.state / "run"

    @property
    def log_dir(self) -> Path:
        """One log file per service, so failures can point at exactly one file."""
        return self.state / "logs"
