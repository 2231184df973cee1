"""What a Prometheus/Grafana operator installs from deploy/k8s/monitoring: monitors that reach
every Atelier process through the network policies, alert rules and dashboards that read, and
trace export that never writes to a pod's disk.

Whether the metrics the dashboards and rules name are really exposed is checked against a running
platform (tests/integration/test_telemetry.py); here, the files and the rendered manifests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.monitoring import DASHBOARDS, MONITORING, all_exprs, metric_names, named_metrics
from tests.unit.test_k8s_manifests import (
    K8S,
    Manifest,
    container_port,
    containers,
    ingress_rules_for,
    kustomize_build,
    of_kind,
    pod_labels,
    rule_allows_port,
    selects,
    service_selects,
    workloads,
)

# Upstream schemas (tools/fetch_crd_schemas.py): every object refuses unknown fields.
SCHEMAS = K8S / "crds"
MONITORING_NAMESPACE = "monitoring"
SCRAPED_PROCESSES = {
    "gateway",
    "generation-api",
    "generation-worker",
    "visibility",
    "feed",
    "billing",
    "webhooks",
    "triton",
}
# Alerts an operator is promised (issue 12): error rate, queue wait, dead letters, Triton down, authority errors.
PROMISED_ALERTS = {
    "AtelierGrpcServerErrors",
    "AtelierHttpServerErrors",
    "AtelierGenerationQueueWaitHigh",
    "AtelierDeadLetters",
    "AtelierTritonDown",
    "AtelierAuthorityErrors",
}
PROMISED_DASHBOARDS = {
    "atelier-overview",
    "atelier-generation",
    "atelier-triton",
    "atelier-privacy-authority",
    "atelier-feed",
}


def monitored_dev(tmp: Path) -> list[Manifest]:
    """The dev overlay with the monitoring component, as an operator would compose them."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: cannot render the kustomizations")
    overlay = tmp / "monitored-dev"
    overlay.mkdir(exist_ok=True)
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                # kustomize takes relative paths only.
                "resources": [os.path.relpath(K8S / "dev", overlay)],
                "components": [os.path.relpath(MONITORING, overlay)],
            }
        ),
        encoding="utf-8",
    )
    result = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[Manifest]:
    return monitored_dev(tmp_path_factory.mktemp("overlay"))


def schema_for(kind: str) -> dict[str, Any]:
    path = SCHEMAS / f"monitoring.coreos.com_v1_{kind.lower()}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


# ---- the Prometheus Operator resources


def test_monitoring_resources_validate_strictly_against_their_schemas(rendered: list[Manifest]) -> None:
    kinds = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
    found = of_kind(rendered, *kinds)
    assert {m["kind"] for m in found} == kinds
    for manifest in found:
        jsonschema.validate(manifest, schema_for(manifest["kind"]))


def test_the_schemas_refuse_a_misspelt_field(rendered: list[Manifest]) -> None:
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "podMetricsEndpoints": [{"port": "metrics", "intervall": "15s"}]},
    }
    with pytest.raises(jsonschema.ValidationError, match="intervall"):
        jsonschema.validate(monitor, schema_for("PodMonitor"))
    (service_monitor, *_) = of_kind(rendered, "ServiceMonitor")
    misspelt = json.loads(json.dumps(service_monitor))
    misspelt["spec"]["endpoints"][0]["scrapeTimout"] = "5s"
    with pytest.raises(jsonschema.ValidationError, match="scrapeTimout"):
        jsonschema.validate(misspelt, schema_for("ServiceMonitor"))
    unknown_spec = json.loads(json.dumps(service_monitor))
    unknown_spec["spec"]["endpoint"] = unknown_spec["spec"].pop("endpoints")
    with pytest.raises(jsonschema.ValidationError, match="endpoint"):
        jsonschema.validate(unknown_spec, schema_for("ServiceMonitor"))
    (rule, *_) = of_kind(rendered, "PrometheusRule")
    wrong_type = json.loads(json.dumps(rule))
    wrong_type["spec"]["groups"][0]["rules"][0]["labels"] = {"severity": 3}  # label values are strings
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong_type, schema_for("PrometheusRule"))


def _scrape_targets(manifests: list[Manifest]) -> dict[str, tuple[Manifest, int]]:
    """workload name -> (workload, container port number) for every endpoint a monitor scrapes."""
    targets: dict[str, tuple[Manifest, int]] = {}
    for monitor in of_kind(manifests, "PodMonitor"):
        for workload in workloads(manifests):
            if selects(monitor["spec"]["selector"], pod_labels(workload)):
                for endpoint in monitor["spec"]["podMetricsEndpoints"]:
                    port = container_port(workload, endpoint["port"])
                    assert port is not None, f"{monitor['metadata']['name']}: no port {endpoint['port']}"
                    targets[workload["metadata"]["name"]] = (workload, port)
    for monitor in of_kind(manifests, "ServiceMonitor"):
        for service in of_kind(manifests, "Service"):
            if not selects(monitor["spec"]["selector"], service["metadata"].get("labels", {})):
                continue
            for endpoint in monitor["spec"]["endpoints"]:
                (service_port,) = [p for p in service["spec"]["ports"] if p["name"] == endpoint["port"]]
                for workload in workloads(manifests):
                    if service_selects(service, workload):
                        targets[workload["metadata"]["name"]] = (
                            workload,
                            container_port(workload, service_port["targetPort"]),
                        )
    return targets


def test_every_atelier_process_and_triton_is_scraped(rendered: list[Manifest]) -> None:
    assert set(_scrape_targets(rendered)) == SCRAPED_PROCESSES


def test_the_network_policies_let_prometheus_reach_every_scraped_port(rendered: list[Manifest]) -> None:
    for name, (workload, port) in _scrape_targets(rendered).items():
        from_monitoring = [
            rule
            for rule in ingress_rules_for(rendered, pod_labels(workload))
            if any(
                peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
                == MONITORING_NAMESPACE
                for peer in rule.get("from", [])
            )
        ]
        assert any(rule_allows_port(rule, workload, port) for rule in from_monitoring), f"{name}:{port}"


def test_every_series_is_labelled_with_its_process(rendered: list[Manifest]) -> None:
    """Dashboards and rules select on job="<app name>"; the operator's default job would be the
    monitor's namespace/name."""
    for monitor in of_kind(rendered, "PodMonitor", "ServiceMonitor"):
        endpoints = monitor["spec"].get("podMetricsEndpoints") or monitor["spec"]["endpoints"]
        for endpoint in endpoints:
            assert any(r.get("targetLabel") == "job" for r in endpoint.get("relabelings", [])), monitor["metadata"]


# ---- alert rules and dashboards


def _rules() -> list[dict[str, Any]]:
    (rule,) = yaml.safe_load_all((MONITORING / "prometheus-rules.yaml").read_text(encoding="utf-8"))
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def test_the_promised_alerts_exist_with_a_severity_and_a_summary() -> None:
    rules = _rules()
    assert PROMISED_ALERTS <= {r["alert"] for r in rules}
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_the_promised_dashboards_exist_each_with_a_unique_uid() -> None:
    boards = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in DASHBOARDS.glob("*.json")}
    assert set(boards) == PROMISED_DASHBOARDS
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    for name, board in boards.items():
        assert board["uid"] == name
        assert board["panels"], name
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), name


def test_the_dashboards_are_installed_for_grafanas_sidecar(rendered: list[Manifest]) -> None:
    (config_map,) = [m for m in of_kind(rendered, "ConfigMap") if m["metadata"]["name"] == "atelier-dashboards"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert {key.removesuffix(".json") for key in config_map["data"]} == PROMISED_DASHBOARDS


def test_every_query_reads_a_metric_with_balanced_brackets() -> None:
    for where, expr in all_exprs():
        assert metric_names(expr) or "up{" in expr, f"{where}: names no metric: {expr}"
        for opening, closing in ("()", "{}", "[]"):
            assert expr.count(opening) == expr.count(closing), f"{where}: unbalanced {opening}{closing}: {expr}"


def test_lag_gauges_are_aggregated_across_replicas() -> None:
    """Every replica of a consumer reports the same lag: a sum would multiply it."""
    for where, expr in all_exprs():
        if "atelier_jetstream_" in expr:
            assert "max by" in expr and "sum by (stream" not in expr, f"{where}: {expr}"


def test_named_metrics_follow_the_naming_the_live_check_relies_on() -> None:
    assert named_metrics(), "no dashboard or rule names a metric"


# ---- traces


def test_no_pod_writes_spans_to_a_file() -> None:
    """ATELIER_TRACE_FILE is for tests: in a pod it would fill the 64 Mi /tmp."""
    for overlay in ("base", "dev"):
        for manifest in kustomize_build(overlay):
            assert "ATELIER_TRACE_FILE" not in json.dumps(manifest), (overlay, manifest["metadata"]["name"])


def test_dev_pods_export_spans_to_the_dev_collector() -> None:
    manifests = kustomize_build("dev")
    (config,) = [m for m in of_kind(manifests, "ConfigMap") if m["metadata"]["name"] == "atelier-config"]
    endpoint = config["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"]
    host, port = endpoint.removeprefix("http://").split(":")
    (service,) = [s for s in of_kind(manifests, "Service") if s["metadata"]["name"] == host]
    (collector,) = [w for w in workloads(manifests) if service_selects(service, w)]
    (service_port,) = [p for p in service["spec"]["ports"] if p["port"] == int(port)]
    collector_port = container_port(collector, service_port["targetPort"])
    for workload in workloads(manifests):
        if any(c.get("args", [])[:1] == ["-m"] for c in containers(workload, init=False)):
            rules = ingress_rules_for(manifests, pod_labels(collector))
            assert any(
                rule_allows_port(rule, collector, collector_port)
                and any(selects(peer.get("podSelector", {}), pod_labels(workload)) for peer in rule.get("from", []))
                for rule in rules
            ), f"{workload['metadata']['name']} cannot reach the collector"
