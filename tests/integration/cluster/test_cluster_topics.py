"""wagen's topics on the three-broker cluster: three replicas, two in sync, and what
``wagen topics ensure`` concludes about the durability the gateway promises there."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pipeline.kafka.topics import TOPICS
from tests.conftest import REPO_ROOT
from tests.integration.cluster.kafka_cluster import Cluster


def _wagen(cluster: Cluster, *args: str, **env: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", *args, "--json"],
        cwd=REPO_ROOT,
        env={**os.environ, **cluster.env(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_every_topic_has_three_replicas_and_needs_two_in_sync(cluster: Cluster) -> None:
    rows = _wagen(cluster, "topics", "list")
    assert [r["name"] for r in rows] == [t.name for t in TOPICS]
    assert {(r["replication_factor"], r["min_insync_replicas"], r["drift"]) for r in rows} == {
        (3, 2, False)
    }


def test_ensure_finds_the_cluster_keeps_the_gateways_promise(cluster: Cluster) -> None:
    lines = _wagen(cluster, "topics", "ensure")
    declared = {t.name for t in TOPICS}
    # wagen's topics are there already (the worker group's own may be created now).
    assert {line["action"] for line in lines if line.get("name") in declared} == {"unchanged"}
    [finding] = [line for line in lines if line.get("check") == "durability"]
    assert finding == {
        "check": "durability",
        "level": "ok",
        "message": "3 brokers; a webhook is on 2 of 3 replicas before its 200; "
        "writes go on with 1 broker(s) down",
    }


def test_ensure_warns_when_a_dead_broker_outlives_the_publish_timeout(cluster: Cluster) -> None:
    # The cluster fences a dead broker after 3 s; a gateway waiting only 2 s would answer
    # 503 for its partitions meanwhile. Checked with settings only: nothing is changed.
    lines = _wagen(cluster, "topics", "ensure", WAGEN_GATEWAY_PUBLISH_TIMEOUT_S="2")
    [finding] = [line for line in lines if line.get("check") == "durability"]
    assert finding["level"] == "warning"
    assert "noticed after 3 s (broker.session.timeout.ms), the gateway waits 2 s" in str(
        finding["message"]
    )
