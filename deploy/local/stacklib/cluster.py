"""Three Kafka brokers in KRaft mode, each also one of three controller voters.

The production shape on one machine: wagen's topics get three replicas and need two in sync,
the metadata quorum survives one controller, and any broker can be killed and restarted
(``stack cluster kill|start N``). Same Maven jars and JVM settings as the single dev broker,
which stays the default; the cluster has its own directory (``WAGEN_STACK_CLUSTER_DIR``,
default ``<state>/cluster``: its data, pids and logs) and ports (``WAGEN_STACK_CLUSTER_PORT``
and the next five: brokers 9192-9194, controllers 9195-9197 by default), so both can run
side by side. Only Kafka is clustered; PostgreSQL, Redis and OpenBao are the dev stack's.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .apt import Apt
from .config import HOST, Config
from .errors import StackError
from .kafka import Kafka
from .proc import pid_alive

NODES = (1, 2, 3)


class ClusterBroker(Kafka):
    """Node ``node`` of the cluster: a broker and a controller voter in one JVM."""

    template = "cluster.properties"
    health_timeout = 120.0

    def __init__(self, cfg: Config, apt: Apt, node: int) -> None:
        # The cluster's logs and pids live in its own dir, not beside the dev stack's.
        super().__init__(replace(cfg, state=cfg.cluster_dir), apt)
        self.node = node
        self.dir = cfg.cluster_dir / f"kafka-{node}"
        self.log = cfg.cluster_dir / "logs" / f"kafka-{node}.log"
        self.pid_file = cfg.cluster_dir / "run" / f"kafka-{node}.pid"

    @property
    def port(self) -> int:
        return broker_port(self.cfg, self.node)

    def ports(self) -> dict[int, str]:
        return {
            broker_port(self.cfg, self.node): "WAGEN_STACK_CLUSTER_PORT",
            controller_port(self.cfg, self.node): "WAGEN_STACK_CLUSTER_PORT",
        }

    @property
    def shared_dir(self) -> Path:
        return self.cfg.cluster_dir

    def substitutions(self) -> dict[str, object]:
        voters = ",".join(f"{n}@{HOST}:{controller_port(self.cfg, n)}" for n in NODES)
        return {
            "node_id": self.node,
            "voters": voters,
            "broker_port": self.port,
            "controller_port": controller_port(self.cfg, self.node),
            "log_dirs": self.data_dir,
        }

    def jvm(self, java: str, cp: str, log_config: str = "log4j2.xml") -> list[str]:
        # Three JVMs share a small machine with wagen's processes: the client compiler alone
        # starts (and restarts, in the fault tests) a node in far less CPU, and is fast
        # enough for a dev cluster's traffic.
        base = super().jvm(java, cp, log_config)
        return [base[0], "-XX:TieredStopAtLevel=1", *base[1:]]

    def describe(self) -> str:
        return f"Apache Kafka {self.version}, KRaft node {self.node} of {len(NODES)}"

    def line(self, state: str, detail: str) -> str:
        return f"{'kafka-' + str(self.node):<9} {state:<5} {HOST}:{self.port:<6} ({detail})"

    def kill(self) -> str:
        """SIGKILL, as a crash would: no clean shutdown, no leadership handed over."""
        pid = self.running_pid()
        if pid is None:
            return self.line("down", "not running")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return self.line("down", f"killed pid {pid} (SIGKILL)")

    def quorum_view(self) -> tuple[int, int] | None:
        """(leader epoch, leader id) of the metadata quorum as this node last recorded it."""
        state = self.data_dir / "__cluster_metadata-0" / "quorum-state"
        try:
            data = json.loads(state.read_text())
            return int(data["leaderEpoch"]), int(data["leaderId"])
        except (OSError, ValueError, KeyError, TypeError):
            return None


def broker_port(cfg: Config, node: int) -> int:
    """Client port of ``node``."""
    return cfg.cluster_port + node - 1


def controller_port(cfg: Config, node: int) -> int:
    """Controller (quorum) port of ``node``."""
    return cfg.cluster_port + len(NODES) + node - 1


def brokers(cfg: Config, apt: Apt, nodes: Sequence[int] = NODES) -> list[ClusterBroker]:
    """The selected nodes, validated."""
    if cfg.cluster_port + 2 * len(NODES) > 65536:
        raise StackError("WAGEN_STACK_CLUSTER_PORT leaves no room for six ports: lower it")
    unknown = sorted(set(nodes) - set(NODES))
    if unknown:
        raise StackError(f"no cluster node {unknown[0]}: choose from 1, 2, 3")
    return [ClusterBroker(cfg, apt, n) for n in NODES if n in nodes]


def bootstrap(cfg: Config) -> str:
    """The bootstrap list of the cluster, as WAGEN_KAFKA_BOOTSTRAP_SERVERS wants it."""
    return ",".join(f"{HOST}:{broker_port(cfg, n)}" for n in NODES)


def up(nodes: Sequence[ClusterBroker]) -> list[str]:
    """Start every node that is not running, all at once, then wait for each.

    A node alone cannot become healthy: its broker registers only once a quorum of
    controllers (two of three) has elected a leader, so they are launched together.
    """
    lines: list[str] = []
    launched = []
    try:
        for node in nodes:
            pid = node.running_pid()
            if pid is None:
                launched.append((node, *node.launch()))
            else:
                lines.append(node.line("up", f"already running, pid {pid}"))
        for node, proc, started in launched:
            lines.append(node.confirm(proc, started))
    except BaseException:
        for node, _proc, _started in launched:
            node.down()
        raise
    return lines


def active_controller(nodes: Sequence[ClusterBroker]) -> int | None:
    """The quorum leader in the newest epoch any running node recorded."""
    views = [v for n in nodes if n.running_pid() is not None and (v := n.quorum_view())]
    if not views:
        return None
    _epoch, leader = max(views)
    return leader if leader > 0 else None
