"""The three-broker cluster the broker-fault tests run on: started by ``deploy/local/stack
cluster`` in a directory and on ports of this test session, its nodes killed and started
again by the tests, its partitions watched through the admin API."""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from pipeline.kafka.topics import TOPIC_PREFIX
from pipeline.settings import KafkaSettings
from tests.conftest import REPO_ROOT

STACK = REPO_ROOT / "deploy" / "local" / "stack"
NODES = (1, 2, 3)


def free_port_run(size: int) -> int:
    """The first of ``size`` consecutive loopback ports nobody listens on."""
    for _ in range(200):
        base = random.randrange(20_000, 60_000)  # noqa: S311  (a port, not a secret)
        try:
            for port in range(base, base + size):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {size} consecutive free ports found")


@dataclass(frozen=True)
class Cluster:
    """A running three-node cluster: its directory and first port."""

    directory: Path
    port: int

    @property
    def bootstrap(self) -> str:
        """``WAGEN_KAFKA_BOOTSTRAP_SERVERS`` of the cluster."""
        return ",".join(f"127.0.0.1:{self.port + n - 1}" for n in NODES)

    @property
    def servers(self) -> list[str]:
        """The brokers, host:port each."""
        return self.bootstrap.split(",")

    def kafka(self) -> KafkaSettings:
        """Settings of a wagen process on the cluster: three replicas, two in sync."""
        return KafkaSettings(
            bootstrap_servers=self.bootstrap,
            replication_factor=3,
            min_insync_replicas=2,
            topic_prefix=TOPIC_PREFIX,
        )

    def env(self) -> dict[str, str]:
        """The same, as the environment of a gateway or worker process."""
        return {
            "WAGEN_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "WAGEN_KAFKA_REPLICATION_FACTOR": "3",
            "WAGEN_KAFKA_MIN_INSYNC_REPLICAS": "2",
        }

    def stack(self, *args: str) -> str:
        """``deploy/local/stack cluster ARGS`` on this cluster; its output (fails loudly)."""
        env = {
            **os.environ,
            "WAGEN_STACK_CLUSTER_DIR": str(self.directory),
            "WAGEN_STACK_CLUSTER_PORT": str(self.port),
        }
        done = subprocess.run(
            [str(STACK), "cluster", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode not in (0, 3):  # 3: `status` with a node down
            raise AssertionError(f"stack cluster {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    async def kill(self, node: int) -> float:
        """SIGKILL a node; when it happened (monotonic)."""
        await asyncio.to_thread(self.stack, "kill", str(node))
        return time.monotonic()

    async def start(self, node: int) -> float:
        """Start a node and wait until it serves; how long that took."""
        started = time.monotonic()
        await asyncio.to_thread(self.stack, "start", str(node))
        return time.monotonic() - started

    async def controller(self) -> int | None:
        """The node that is the active controller (the metadata quorum's leader); None while
        the quorum is electing one."""
        out = await asyncio.to_thread(self.stack, "status")
        found = re.search(r"^controller: (?:node (\d)|none elected)$", out, re.MULTILINE)
        assert found, out
        return int(found[1]) if found[1] else None

    async def leaders(self, topic: str) -> dict[int, int]:
        """Partition -> leader node of ``topic``."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.servers)
        await admin.start()
        try:
            [described] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        return {p["partition"]: p["leader"] for p in described["partitions"]}

    async def wait_in_sync(self, topics: list[str], timeout_s: float) -> float:
        """Seconds until every partition of ``topics`` has all three replicas in sync."""
        started = time.monotonic()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.servers)
        await admin.start()
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    described = await admin.describe_topics(topics)
                    partitions = [p for t in described for p in t["partitions"]]
                    if partitions and all(len(p["isr"]) == len(NODES) for p in partitions):
                        return time.monotonic() - started
                    await asyncio.sleep(0.5)
        finally:
            await admin.close()
