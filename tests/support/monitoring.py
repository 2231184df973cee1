"""The metric names Atelier's Grafana dashboards and Prometheus alert rules name, read from the
files an operator installs (deploy/k8s/monitoring)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MONITORING = REPO_ROOT / "deploy" / "k8s" / "monitoring"
DASHBOARDS = MONITORING / "dashboards"
RULES = MONITORING / "prometheus-rules.yaml"

# Every metric Atelier emits is atelier_*; Triton's are nv_*. `up` is Prometheus's own (a scrape
# that failed), so no process emits it.
METRIC_NAME = re.compile(r"\b((?:atelier|nv)_[a-z0-9_]+)\b")
PROMETHEUS_OWN = frozenset({"up"})
# Triton reports these only on a GPU node (the test stack's Triton runs on the CPU).
GPU_ONLY = frozenset(
    {"nv_gpu_utilization", "nv_gpu_memory_used_bytes", "nv_gpu_memory_total_bytes", "nv_gpu_power_usage"}
)


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every query of every panel of every dashboard."""
    for path in sorted(DASHBOARDS.glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                yield f"{path.name}: {panel['title']}", target["expr"]


def rule_exprs() -> Iterator[tuple[str, str]]:
    (rules,) = [doc for doc in yaml.safe_load_all(RULES.read_text(encoding="utf-8")) if doc]
    for group in rules["spec"]["groups"]:
        for rule in group["rules"]:
            yield f"{RULES.name}: {rule.get('alert') or rule.get('record')}", rule["expr"]


def all_exprs() -> list[tuple[str, str]]:
    return [*dashboard_exprs(), *rule_exprs()]


def metric_names(expr: str) -> set[str]:
    """The metric names one PromQL expression reads (histogram and counter suffixes kept)."""
    return set(METRIC_NAME.findall(expr))


def named_metrics() -> dict[str, list[str]]:
    """metric name -> where it is named."""
    named: dict[str, list[str]] = {}
    for where, expr in all_exprs():
        for name in metric_names(expr):
            named.setdefault(name, []).append(where)
    return named


def exposed_names(exposition: str) -> set[str]:
    """The sample names a /metrics page exposes, including families that have no sample yet (a
    labelled metric no request has touched: its # TYPE line is there, its series are not)."""
    names: set[str] = set()
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
        "gauge": ("",),
        "untyped": ("",),
    }
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            names.update(family.removesuffix("_total") + suffix for suffix in suffixes.get(kind, ("",)))
            names.add(family)
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names
