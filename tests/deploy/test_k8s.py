"""deploy/k8s against Kubernetes' own schemas, the CRDs it uses, and wagen itself.

Built-in kinds are checked with kubernetes-validate's strict JSON schemas (unknown fields
are errors, as with kubectl's default server-side field validation) for the oldest
Kubernetes these manifests claim and the newest the package knows; the KEDA ScaledObject,
PodMonitor and PrometheusRule with trimmed copies of their CRDs' schemas
(tests/deploy/schemas/, source and changes noted in each). Then the wiring: probes and
ports against the gateway's routes and the worker's metrics server, the ScaledObject
against the Faust app's consumer group and topics, the alerts against the metric registry.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import kubernetes_validate
import pytest
from prometheus_client.metrics import MetricWrapperBase
from pydantic import SecretStr

from pipeline.kafka.topics import TOPIC_PREFIX, TOPICS
from pipeline.metrics import registry as metrics_registry
from pipeline.metrics.http import MetricsServer
from pipeline.settings import WagenSettings, WorkerSettings
from pipeline.worker.app import create_worker_app
from tests.deploy.manifests import (
    ALL_INTERFACES,
    K8S_DIR,
    Manifest,
    config_map_env,
    containers,
    dockerfile_instructions,
    final_stage,
    k8s_object,
    k8s_objects,
    kustomization,
    pod_templates,
    schema,
    secret_example,
)
from tests.deploy.test_dockerfile import (
    gateway_get_paths,
    metrics_listener_paths,
    secret_setting_names,
)

OLDEST_KUBERNETES = "1.29"  # autoscaling/v2, policy/v1, sidecar-free Jobs: all GA well before
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda-scaledobject-v1alpha1.yaml",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule-v1.yaml",
    ("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor-v1.yaml",
}
_KUSTOMIZATION_FIELDS = {
    "apiVersion", "kind", "namespace", "labels", "commonAnnotations", "resources", "images",
    "configMapGenerator", "secretGenerator", "patches", "components", "replicas",
}  # fmt: skip
# Parameters of KEDA's kafka scaler (keda.sh/docs/latest/scalers/apache-kafka/).
_KAFKA_TRIGGER_PARAMS = {
    "bootstrapServers", "consumerGroup", "topic", "lagThreshold", "activationLagThreshold",
    "offsetResetPolicy", "allowIdleConsumers", "excludePersistentLag", "limitToPartitionsWithLag",
    "scaleToZeroOnInvalidOffset", "partitionLimitation", "version", "sasl", "tls",
}  # fmt: skip
_TARGET_LABELS = {"job", "instance", "namespace", "pod", "container", "le"}


def _id(item: tuple[Path, Manifest]) -> str:
    return f"{item[0].name}:{item[1]['kind']}"


def _ports(template: Manifest) -> dict[str, int]:
    return {
        port["name"]: port["containerPort"]
        for container in containers(template)
        for port in container.get("ports", [])
    }


def _template(kind: str, name: str) -> Manifest:
    template: Manifest = k8s_object(kind, name)["spec"]["template"]
    return template


# --- the set of files -------------------------------------------------------------------------


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    kustom = kustomization()
    assert set(kustom) <= _KUSTOMIZATION_FIELDS
    assert kustom["namespace"] == k8s_object("Namespace", "wagen")["metadata"]["name"]
    listed = kustom["resources"]
    assert len(listed) == len(set(listed))
    on_disk = {p.name for p in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    # The Secret is created by the operator, never applied from here (see its comments).
    assert on_disk - set(listed) == {"secret.example.yaml"}
    (image,) = kustom["images"]
    for workload, template in pod_templates():
        for container in containers(template):
            assert container["image"] == image["name"], workload


@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, kubernetes_validate.latest_version()])
@pytest.mark.parametrize(
    "item", [*k8s_objects(), (K8S_DIR / "secret.example.yaml", secret_example())], ids=_id
)
def test_valid_kubernetes_object(item: tuple[Path, Manifest], version: str) -> None:
    _, obj = item
    crd = CRD_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
    if crd is None:
        kubernetes_validate.validate(obj, version, strict=True)
        return
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in jsonschema.Draft202012Validator(schema(crd)).iter_errors(obj)
    ]
    assert errors == []


def test_strict_validation_catches_a_misspelt_field() -> None:
    deployment = k8s_object("Deployment", "wagen-gateway")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, OLDEST_KUBERNETES, strict=True)
    scaled = k8s_object("ScaledObject", "wagen-worker")
    bad = {**scaled, "spec": {**scaled["spec"], "maxReplicas": 3}}
    validator = jsonschema.Draft202012Validator(
        schema(CRD_SCHEMAS["keda.sh/v1alpha1", "ScaledObject"])
    )
    assert not validator.is_valid(bad)


# --- every workload ---------------------------------------------------------------------------


def test_every_pod_is_locked_down() -> None:
    for workload, template in pod_templates():
        pod = template["spec"]
        assert pod["automountServiceAccountToken"] is False, workload
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, workload
        for container in containers(template):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, workload
            assert context["allowPrivilegeEscalation"] is False, workload
            assert context["capabilities"] == {"drop": ["ALL"]}, workload
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), workload
            assert "memory" in resources["limits"], workload


def test_every_pod_reads_the_config_map_and_the_secret() -> None:
    config_name = k8s_object("ConfigMap", "wagen-config")["metadata"]["name"]
    secret_name = secret_example()["metadata"]["name"]
    for workload, template in pod_templates():
        for container in containers(template):
            sources = [next(iter(s.values()))["name"] for s in container["envFrom"]]
            assert sources == [config_name, secret_name], workload
            assert "env" not in container, f"{workload}: settings belong in the ConfigMap"


def test_secret_example_holds_only_placeholders_for_secret_settings() -> None:
    secret = secret_example()
    assert secret["metadata"]["namespace"] == kustomization()["namespace"]
    values: dict[str, str] = secret["stringData"]
    assert set(values) <= secret_setting_names()
    assert {"WAGEN_POSTGRES_DSN", "WAGEN_VAULT_TOKEN", "WAGEN_TENANCY_KEY_PEPPER"} <= set(values)
    for key, value in values.items():
        assert "REPLACE_ME" in value, f"{key} looks like a real value"
    assert not set(config_map_env()) & secret_setting_names()


def test_selectors_match_their_pods() -> None:
    for kind, name, target_kind, target in [
        ("Service", "wagen-gateway", "Deployment", "wagen-gateway"),
        ("PodDisruptionBudget", "wagen-gateway", "Deployment", "wagen-gateway"),
        ("PodDisruptionBudget", "wagen-worker", "Deployment", "wagen-worker"),
    ]:
        spec = k8s_object(kind, name)["spec"]
        selector = spec["selector"].get("matchLabels", spec["selector"])
        labels = _template(target_kind, target)["metadata"]["labels"]
        assert selector.items() <= labels.items(), f"{kind}/{name}"
    for _, template in pod_templates():
        labels = template["metadata"]["labels"]
        for constraint in template["spec"].get("topologySpreadConstraints", []):
            assert constraint["labelSelector"]["matchLabels"].items() <= labels.items()


# --- gateway ----------------------------------------------------------------------------------


def test_gateway_probes_hit_its_health_routes_on_its_port() -> None:
    template = _template("Deployment", "wagen-gateway")
    (container,) = template["spec"]["containers"]
    assert container["args"] == ["gateway"]
    env = config_map_env()
    assert _ports(template) == {
        "http": int(env["WAGEN_GATEWAY_PORT"]),
        "metrics": int(env["WAGEN_GATEWAY_METRICS_PORT"]),
    }
    assert env["WAGEN_GATEWAY_HOST"] == env["WAGEN_GATEWAY_METRICS_HOST"] == ALL_INTERFACES
    assert env["WAGEN_GATEWAY_PORT"] != env["WAGEN_GATEWAY_METRICS_PORT"]
    probes = {kind: container[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"] == {"path": "/healthz", "port": "http"}
    assert probes["readinessProbe"] == {"path": "/readyz", "port": "http"}
    assert {"/healthz", "/readyz"} <= gateway_get_paths()
    # The Service carries the public port only: metrics are reached on the pod IP.
    service_ports = k8s_object("Service", "wagen-gateway")["spec"]["ports"]
    assert [p["targetPort"] for p in service_ports] == ["http"]


def test_replica_counts_belong_to_the_autoscalers() -> None:
    hpa = k8s_object("HorizontalPodAutoscaler", "wagen-gateway")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "wagen-gateway",
    }
    assert hpa["minReplicas"] >= 2
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    scaled = k8s_object("ScaledObject", "wagen-worker")["spec"]
    assert scaled["scaleTargetRef"]["name"] == "wagen-worker"
    for name in ("wagen-gateway", "wagen-worker"):
        # A `replicas` in the manifest would reset the autoscaler's count on every apply.
        assert "replicas" not in k8s_object("Deployment", name)["spec"], name


# --- worker -----------------------------------------------------------------------------------


def test_worker_probes_hit_its_metrics_port() -> None:
    template = _template("Deployment", "wagen-worker")
    (container,) = template["spec"]["containers"]
    assert container["args"] == ["worker"]
    env = config_map_env()
    assert _ports(template) == {"metrics": int(env["WAGEN_WORKER_METRICS_PORT"])}
    # The kubelet probes the pod IP: loopback would fail every probe.
    assert env["WAGEN_WORKER_METRICS_HOST"] == ALL_INTERFACES
    for kind in ("livenessProbe", "startupProbe"):
        # /healthz, not /metrics: the probes carry no metrics token.
        assert container[kind]["httpGet"] == {"path": "/healthz", "port": "metrics"}


async def test_the_worker_metrics_server_serves_the_probed_path() -> None:
    server = MetricsServer("127.0.0.1", 0, SecretStr("token-" * 8))
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            for path, status in (("/healthz", 200), ("/metrics", 401), ("/readyz", 404)):
                async with session.get(f"http://127.0.0.1:{server.port}{path}") as response:
                    assert response.status == status, path
    finally:
        await server.stop()


def test_worker_has_a_writable_working_directory_for_faust() -> None:
    workdirs = [i.args for i in dockerfile_instructions() if i.keyword == "WORKDIR"]
    assert workdirs[-1] == "/var/lib/wagen"
    assert final_stage() == "runtime"
    template = _template("Deployment", "wagen-worker")
    (container,) = template["spec"]["containers"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in template["spec"]["volumes"]}
    assert "emptyDir" in volumes[mounts[workdirs[-1]]]
    # Faust's datadir is relative, so it lands in that working directory.
    app = create_worker_app(WagenSettings())
    assert not Path(str(app.conf.datadir)).is_absolute()


def _consumed_topics() -> set[str]:
    worker = WorkerSettings(app_id=config_map_env()["WAGEN_WORKER_APP_ID"])
    app = create_worker_app(WagenSettings(worker=worker))
    return {topic for agent in app.agents.values() for topic in agent.channel.topics}


def test_keda_watches_the_workers_group_on_its_fresh_traffic_topics() -> None:
    env = config_map_env()
    spec = k8s_object("ScaledObject", "wagen-worker")["spec"]
    triggers: list[dict[str, Any]] = spec["triggers"]
    consumed = _consumed_topics()
    declared = {t.name for t in TOPICS}
    retries = {t for t in consumed if t.endswith(".retry")}
    # Every main topic an agent reads, and no retry topic (its lag is waiting by design).
    # The manifests set no topic prefix; this process's names carry the test suite's.
    assert "WAGEN_KAFKA_TOPIC_PREFIX" not in env
    assert {TOPIC_PREFIX + t["metadata"]["topic"] for t in triggers} == consumed - retries
    assert consumed <= declared
    for trigger in triggers:
        metadata = trigger["metadata"]
        assert trigger["type"] == "kafka"
        assert set(metadata) <= _KAFKA_TRIGGER_PARAMS
        assert metadata["consumerGroup"] == env["WAGEN_WORKER_APP_ID"]
        assert metadata["bootstrapServers"] == env["WAGEN_KAFKA_BOOTSTRAP_SERVERS"]
        assert metadata["offsetResetPolicy"] == env["WAGEN_WORKER_NEW_GROUP_OFFSET"]
        assert metadata["allowIdleConsumers"] == "false"
        assert int(metadata["lagThreshold"]) > 0
    # A partition goes to one member of a group: workers beyond the partitions sit idle.
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    assert spec["maxReplicaCount"] <= int(env["WAGEN_KAFKA_PARTITIONS"])


def test_migrate_job_runs_the_migrations_then_the_topics() -> None:
    template = _template("Job", "wagen-migrate")
    spec = template["spec"]
    assert spec["restartPolicy"] == "Never"
    assert [c["args"] for c in containers(template)] == [["db", "migrate"], ["topics", "ensure"]]


# --- monitoring -------------------------------------------------------------------------------


def _exported_series() -> dict[str, set[str]]:
    """Every sample name wagen exports, with its label names, from the registry module."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    series: dict[str, set[str]] = {}
    for metric in vars(metrics_registry).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        # prometheus_client lists a metric's label names only on this attribute.
        labels = set(metric._labelnames)
        for family in metric.describe():
            for suffix in suffixes[family.type]:
                series[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return series


def test_scrape_config_reaches_both_processes() -> None:
    monitor = k8s_object("PodMonitor", "wagen")["spec"]
    endpoints = {e["port"]: e["path"] for e in monitor["podMetricsEndpoints"]}
    # Both processes name their metrics port `metrics`; the gateway's public port has none.
    assert endpoints == {"metrics": "/metrics"}
    assert "/metrics" not in gateway_get_paths()
    assert "/metrics" in metrics_listener_paths()
    for name in ("wagen-gateway", "wagen-worker"):
        assert "metrics" in _ports(_template("Deployment", name)), name
    # The token the listeners want (WAGEN_METRICS_TOKEN) comes from the operator's Secret.
    (endpoint,) = monitor["podMetricsEndpoints"]
    credentials = endpoint["authorization"]["credentials"]
    assert credentials["name"] == secret_example()["metadata"]["name"]
    assert credentials["key"] == "WAGEN_METRICS_TOKEN"
    assert credentials["key"] in secret_example()["stringData"]
    for name in ("wagen-gateway", "wagen-worker"):
        labels = _template("Deployment", name)["metadata"]["labels"]
        assert monitor["selector"]["matchLabels"].items() <= labels.items()


def test_alerts_use_only_exported_metrics_and_labels() -> None:
    series = _exported_series()
    assert "wagen_consumer_lag_records" in series
    groups = k8s_object("PrometheusRule", "wagen")["spec"]["groups"]
    assert len({g["name"] for g in groups}) == len(groups)
    alerts = [rule for group in groups for rule in group["rules"]]
    assert len({r["alert"] for r in alerts}) == len(alerts)
    for rule in alerts:
        expr = str(rule["expr"])
        used = set(re.findall(r"\b(wagen_[a-z_]+)", expr))
        assert used or "up{" in expr, rule["alert"]
        for name in used:
            assert name in series, f"{rule['alert']}: {name} is not exported"
        for name, matchers in re.findall(r"\b(wagen_[a-z_]+)\{([^}]*)\}", expr):
            for label in re.findall(r"([a-z_]+)\s*[=!]~?", matchers):
                assert label in series[name], f"{rule['alert']}: {name} has no label {label}"
        known = set().union(*(series[n] for n in used)) | _TARGET_LABELS
        for clause in re.findall(r"\bby \(([^)]*)\)", expr):
            for label in clause.split(","):
                assert label.strip() in known, f"{rule['alert']}: by {label.strip()}"
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
        assert rule["annotations"]["description"]
